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

/// A TLS connection on a socket, for the server: OpenSSL reads and writes the socket itself (non-blocking), and an
/// operation that would block waits for the socket to be ready. Unlike Asio's ssl::stream, which keeps two 17 KiB
/// record buffers and a 34 KiB BIO pair for every connection as long as it lives, this holds only the SSL object,
/// whose record buffers OpenSSL releases while the connection is idle (SSL_MODE_RELEASE_BUFFERS): an idle TLS
/// connection costs a few KiB, as it does in nginx.
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
        return write_attempt(buffers, ec);
    }

    /// Reads what is there now, never waiting: the bytes read, or 0 with would_block when there are none.
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

    /// True when OpenSSL holds decrypted bytes that no read has taken yet (the socket may have nothing more).
    [[nodiscard]] bool has_pending() const noexcept { return SSL_has_pending(ssl_) == 1; }

private:
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
    template <class ConstBufferSequence>
    std::size_t write_attempt(const ConstBufferSequence& buffers, boost::system::error_code& ec)
    {
        auto attempt = write_sequence(buffers);
        ec = attempt.ec;
        return attempt.bytes;
    }

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
            std::array<unsigned char, kCoalesceBytes> joined{};
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

        template <class Self> void operator()(Self& self, boost::system::error_code ec = {})
        {
            if (has_result) {
                self.complete(result.ec, result.bytes);
                return;
            }
            if (ec) {
                self.complete(ec, 0);
                return;
            }
            const bool first = !started;
            started = true;
            result = attempt(*stream);
            if (result.want_read || result.want_write) {
                stream->socket_.async_wait(result.want_read ? boost::asio::ip::tcp::socket::wait_read
                                                            : boost::asio::ip::tcp::socket::wait_write,
                                           std::move(self));
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
};

} // namespace jobsessions::http
