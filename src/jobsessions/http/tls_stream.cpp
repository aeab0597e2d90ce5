// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/tls_stream.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>

namespace jobsessions::http {

TlsStream::TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context)
    : socket_(std::move(socket))
    , ssl_(SSL_new(context.native_handle()))
{
    if (ssl_ == nullptr) {
        throw std::runtime_error("cannot make a TLS connection");
    }
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    SSL_set_fd(ssl_, socket_.native_handle());
    SSL_set_accept_state(ssl_);
    // Writes may take part of a buffer and be retried from another address with the same bytes; record buffers
    // go back to OpenSSL's allocator whenever nothing is pending in them.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

TlsStream::~TlsStream()
{
    SSL_free(ssl_);
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
