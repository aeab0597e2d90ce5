// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/tls_stream.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <sys/socket.h>

namespace jobsessions::http {

/// The BIO between OpenSSL and a TlsStream: reads what the stream read for it, writes to the socket at once.
struct TlsBio {
    static int read(BIO* bio, char* out, int size)
    {
        auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        const std::size_t available = stream->read_end_ - stream->read_begin_;
        if (available == 0) {
            if (stream->peer_closed_) {
                return 0;
            }
            BIO_set_retry_read(bio);
            return -1;
        }
        const std::size_t n = std::min(available, static_cast<std::size_t>(std::max(size, 0)));
        std::memcpy(out, stream->read_data_ + stream->read_begin_, n);
        stream->read_begin_ += n;
        if (stream->read_begin_ == stream->read_end_) {
            stream->read_buffer_.reset(); // nothing held between reads
            stream->read_begin_ = stream->read_end_ = 0;
        }
        return static_cast<int>(n);
    }

    static int write(BIO* bio, const char* data, int size)
    {
        auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        const auto n = ::send(stream->socket_.native_handle(), data, static_cast<std::size_t>(std::max(size, 0)),
                              MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            return static_cast<int>(n);
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_write(bio);
        }
        return -1; // errno tells SSL_ERROR_SYSCALL's cause
    }

    static long control(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/)
    {
        return command == BIO_CTRL_FLUSH ? 1 : 0; // writes are never buffered here
    }

    static BIO_METHOD* method()
    {
        static BIO_METHOD* made = [] {
            BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "jobsessions-tls");
            if (m == nullptr || BIO_meth_set_read(m, &TlsBio::read) != 1 ||
                BIO_meth_set_write(m, &TlsBio::write) != 1 || BIO_meth_set_ctrl(m, &TlsBio::control) != 1) {
                throw std::runtime_error("cannot make the TLS BIO");
            }
            return m;
        }();
        return made;
    }
};

TlsStream::TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context)
    : socket_(std::move(socket))
    , ssl_(SSL_new(context.native_handle()))
{
    if (ssl_ == nullptr) {
        throw std::runtime_error("cannot make a TLS connection");
    }
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    BIO* bio = BIO_new(TlsBio::method());
    if (bio == nullptr) {
        SSL_free(ssl_);
        throw std::runtime_error("cannot make a TLS connection");
    }
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio); // one reference, taken by the SSL object
    SSL_set_accept_state(ssl_);
    // Writes may take part of a buffer and be retried from another address with the same bytes; record buffers
    // go back to OpenSSL's allocator whenever nothing is pending in them.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    // OpenSSL takes all the bytes read for it at once, not a record header and then its body.
    SSL_set_read_ahead(ssl_, 1);
}

TlsStream::~TlsStream()
{
    SSL_free(ssl_);
}

boost::asio::mutable_buffer TlsStream::read_space()
{
    read_begin_ = read_end_ = 0;
    if (read_size_ <= small_read_.size()) {
        read_data_ = small_read_.data();
    } else {
        read_buffer_.reset(new unsigned char[read_size_]); // NOLINT(cppcoreguidelines-owning-memory): read into
        read_data_ = read_buffer_.get();
    }
    return {read_data_, read_size_};
}

void TlsStream::read_done(std::size_t n)
{
    read_end_ = n;
    if (n == 0) {
        read_buffer_.reset();
    }
    read_size_ = n == read_size_ ? std::min(read_size_ * 2, kLargestRead) : kSmallestRead;
}

TlsStream::Attempt TlsStream::classify(int result) const
{
    Attempt attempt;
    if (result > 0) {
        attempt.bytes = static_cast<std::size_t>(result);
        return attempt;
    }
    const int saved_errno = errno;
    switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
        attempt.want_read = true;
        break;
    case SSL_ERROR_WANT_WRITE:
        attempt.want_write = true;
        break;
    case SSL_ERROR_ZERO_RETURN:
        attempt.ec = boost::asio::error::eof; // the peer's close_notify
        break;
    case SSL_ERROR_SYSCALL:
        // errno 0: the peer closed the connection without close_notify.
        attempt.ec = saved_errno != 0 ? boost::system::error_code(saved_errno, boost::system::system_category())
                                      : boost::system::error_code(boost::asio::ssl::error::stream_truncated);
        break;
    default:
        attempt.ec =
            boost::system::error_code(static_cast<int>(ERR_get_error()), boost::asio::error::get_ssl_category());
        if (!attempt.ec) {
            attempt.ec = boost::asio::error::fault;
        }
        break;
    }
    ERR_clear_error();
    return attempt;
}

TlsStream::Attempt TlsStream::read_attempt(void* data, std::size_t size)
{
    ERR_clear_error();
    errno = 0;
    return classify(SSL_read(ssl_, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX))));
}

TlsStream::Attempt TlsStream::write_attempt_flat(const void* data, std::size_t size)
{
    ERR_clear_error();
    errno = 0;
    return classify(SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX))));
}

TlsStream::Attempt TlsStream::handshake_attempt()
{
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
        return Attempt{};
    }
    auto attempt = classify(result);
    if (!attempt.ec && !attempt.want_read && !attempt.want_write) {
        attempt.ec = boost::asio::error::fault;
    }
    return attempt;
}

TlsStream::Attempt TlsStream::shutdown_attempt()
{
    ERR_clear_error();
    errno = 0;
    const int result = SSL_shutdown(ssl_);
    if (result >= 0) {
        return Attempt{}; // close_notify is out; the peer's is not awaited
    }
    return classify(result);
}

} // namespace jobsessions::http
