// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/error_code.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <memory>

namespace jobsessions::http {

/// A TLS connection on a socket, for the server. Unlike Asio's ssl::stream, which keeps two 17 KiB record buffers
/// and a 34 KiB BIO pair for every connection as long as it lives, this holds the SSL object and, only while bytes
/// wait for OpenSSL, the bytes read: OpenSSL releases its own record buffers while the connection is idle
/// (SSL_MODE_RELEASE_BUFFERS), so an idle TLS connection costs a few KiB, as it does in nginx.
///
/// OpenSSL's BIO here writes to the non-blocking socket itself and reads from what the stream has read for it:
/// the stream reads the socket with Asio's async_read_some, which tries the read first and waits only when
/// nothing is there (no epoll_ctl per wait, unlike async_wait).
///
/// The operations are Asio's AsyncReadStream and AsyncWriteStream (async_read_some, async_write_some), a
/// handshake, a shutdown that sends close_notify without waiting for the peer's, and a write that does not wait
/// (write_now). One operation of each direction at a time, on the socket's executor, as for any Asio stream.
class TlsStream {
public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    /// Takes the socket (made non-blocking here) and a server SSL object from `context`.
    TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context);
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    boost::asio::ip::tcp::socket& next_layer() noexcept { return socket_; }

    /// Writes what it can of `buffers` now, never waiting: the number of bytes taken (0 when the socket is full).
    template <class ConstBufferSequence>
    std::size_t write_now(const ConstBufferSequence& buffers, boost::system::error_code& ec)
    {
        const auto attempt = write_sequence(buffers);
        ec = attempt.ec;
        return attempt.bytes;
    }

    /// Completes once bytes are there for read_now (or the peer closed): a wait that holds no buffer of the
    /// caller's, for a connection idle between requests.
    template <class Token> auto async_fill(Token&& token)
    {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            Operation<FillAttempt>{this, FillAttempt{}}, token, socket_);
    }

    /// Reads what OpenSSL can give without reading the socket: the bytes read, or 0 with would_block.
    std::size_t read_now(const boost::asio::mutable_buffer& buffer, boost::system::error_code& ec)
    {
        auto attempt = read_attempt(buffer.data(), buffer.size());
        ec = attempt.want_read || attempt.want_write ? boost::asio::error::would_block : attempt.ec;
        return attempt.bytes;
    }

    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token)
    {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            Operation<ReadAttempt<MutableBufferSequence>>{this, ReadAttempt<MutableBufferSequence>{buffers}}, token,
            socket_);
    }

    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token)
    {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            Operation<WriteAttempt<ConstBufferSequence>>{this, WriteAttempt<ConstBufferSequence>{buffers}}, token,
            socket_);
    }

    /// The server side of the handshake; completes with (error_code, 0).
    template <class Token> auto async_handshake(Token&& token)
    {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            Operation<HandshakeAttempt>{this, HandshakeAttempt{}}, token, socket_);
    }

    /// Sends close_notify (waiting only until it is written, not for the peer's); completes with (error_code, 0).
    template <class Token> auto async_shutdown(Token&& token)
    {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            Operation<ShutdownAttempt>{this, ShutdownAttempt{}}, token, socket_);
    }

private:
    friend struct TlsBio;

    /// Reads the socket for OpenSSL: into a buffer made for the read, freed once OpenSSL has taken its bytes.
    /// `n` bytes came; 0 with a read error.
    boost::asio::mutable_buffer read_space();
    void read_done(std::size_t n);

    /// What one attempt at an operation came to.
    struct Attempt {
        boost::system::error_code ec;
        std::size_t bytes = 0;
        /// Not done: wait until the socket can be read (or written), then try again.
        bool want_read = false;
        bool want_write = false;
    };

    /// Turns the result of an SSL call into an Attempt.
    Attempt classify(int result) const;

    Attempt read_attempt(void* data, std::size_t size);
    Attempt write_attempt_flat(const void* data, std::size_t size);
    Attempt handshake_attempt();
    Attempt shutdown_attempt();

    /// Writes a buffer sequence: small pieces together in one record (one system call), else the first piece.
    template <class ConstBufferSequence> Attempt write_sequence(const ConstBufferSequence& buffers)
    {
        const auto total = boost::asio::buffer_size(buffers);
        std::size_t pieces = 0;
        boost::asio::const_buffer first;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
            const boost::asio::const_buffer piece(*it);
            if (piece.size() > 0 && pieces++ == 0) {
                first = piece;
            }
        }
        if (total == 0) {
            return Attempt{};
        }
        if (pieces > 1 && total <= kCoalesceBytes) {
            // Rebuilt from the same bytes on every try, as OpenSSL asks of a retried write.
            std::array<unsigned char, kCoalesceBytes>
                joined; // NOLINT(cppcoreguidelines-pro-type-member-init): filled next
            const auto n = boost::asio::buffer_copy(boost::asio::buffer(joined), buffers);
            return write_attempt_flat(joined.data(), n);
        }
        return write_attempt_flat(first.data(), first.size());
    }

    static constexpr std::size_t kCoalesceBytes = std::size_t{16} * 1024;

    template <class MutableBufferSequence> struct ReadAttempt {
        MutableBufferSequence buffers;
        Attempt operator()(TlsStream& stream)
        {
            for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
                 ++it) {
                const boost::asio::mutable_buffer piece(*it);
                if (piece.size() > 0) {
                    return stream.read_attempt(piece.data(), piece.size());
                }
            }
            return Attempt{};
        }
    };

    template <class ConstBufferSequence> struct WriteAttempt {
        ConstBufferSequence buffers;
        Attempt operator()(TlsStream& stream) { return stream.write_sequence(buffers); }
    };

    /// Done as soon as OpenSSL has bytes to work on (or the peer closed).
    struct FillAttempt {
        Attempt operator()(TlsStream& stream)
        {
            Attempt attempt;
            attempt.want_read =
                stream.read_end_ == stream.read_begin_ && SSL_has_pending(stream.ssl_) != 1 && !stream.peer_closed_;
            return attempt;
        }
    };

    struct HandshakeAttempt {
        Attempt operator()(TlsStream& stream) { return stream.handshake_attempt(); }
    };

    struct ShutdownAttempt {
        Attempt operator()(TlsStream& stream) { return stream.shutdown_attempt(); }
    };

    /// Tries, waits for the socket when it must, tries again; completes once done. An attempt that succeeds at
    /// once is completed through a post, never inside the initiating call.
    template <class Try> struct Operation {
        TlsStream* stream;
        Try attempt;
        bool started = false;
        bool has_result = false;
        Attempt result = {};

        bool reading = false;

        template <class Self> void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0)
        {
            if (has_result) {
                self.complete(result.ec, result.bytes);
                return;
            }
            if (reading) {
                reading = false;
                stream->read_done(n);
                if (ec == boost::asio::error::eof) {
                    stream->peer_closed_ = true; // OpenSSL sees the end of the stream next
                    ec = {};
                }
            }
            if (ec) {
                self.complete(ec, 0);
                return;
            }
            const bool first = !started;
            started = true;
            result = attempt(*stream);
            if (result.want_read) {
                reading = true;
                stream->socket_.async_read_some(stream->read_space(), std::move(self));
                return;
            }
            if (result.want_write) {
                stream->socket_.async_wait(boost::asio::ip::tcp::socket::wait_write, std::move(self));
                return;
            }
            if (first) {
                has_result = true;
                auto executor = stream->socket_.get_executor();
                boost::asio::post(executor, std::move(self));
                return;
            }
            self.complete(result.ec, result.bytes);
        }
    };

    boost::asio::ip::tcp::socket socket_;
    SSL* ssl_ = nullptr;
    static constexpr std::size_t kSmallestRead = 512;
    static constexpr std::size_t kLargestRead = std::size_t{17} * 1024;
    /// Bytes read from the socket that OpenSSL has not taken yet: [read_begin_, read_end_) of read_data_, which
    /// is small_read_ for a small read (the first of a request after idling: no allocation while idle) and
    /// read_buffer_ for a larger one, freed once OpenSSL has taken its bytes.
    std::array<unsigned char, kSmallestRead> small_read_{};
    std::unique_ptr<unsigned char[]> read_buffer_;
    unsigned char* read_data_ = nullptr;
    std::size_t read_begin_ = 0;
    std::size_t read_end_ = 0;
    /// How much the next socket read asks for: little after idling (a request's records are small), doubling while
    /// reads fill it, up to a whole record.
    std::size_t read_size_ = kSmallestRead;
    bool peer_closed_ = false;
};

} // namespace jobsessions::http
