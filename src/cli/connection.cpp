// SPDX-License-Identifier: Apache-2.0
#include "cli/connection.hpp"

#include "cli/errors.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>

namespace jobsessions::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kLargestAnswer = std::size_t{1} << 30;
constexpr std::string_view kUserAgent = "jobsessions/" JOBSESSIONS_VERSION;

std::string fingerprint_of(X509* certificate)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest.data(), &size) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        if (i > 0) {
            out.push_back(':');
        }
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0xF]);
    }
    return out;
}

bool is_ip_address(const std::string& host)
{
    boost::system::error_code ec;
    (void)asio::ip::make_address(host, ec); // only whether it parses matters
    return !ec;
}

} // namespace

std::string normalize_fingerprint(std::string_view text)
{
    std::string hex;
    for (const char c : text) {
        if (std::isxdigit(static_cast<unsigned char>(c)) != 0) {
            hex.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        } else if (c != ':' && c != ' ' && c != '-') {
            return {};
        }
    }
    if (hex.size() != 64) {
        return {};
    }
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        if (i > 0) {
            out.push_back(':');
        }
        out.append(hex, i, 2);
    }
    return out;
}

struct Connection::Impl {
    bool tls = false;
    std::string host;
    std::string port;
    std::string host_field;
    Trust trust;
    asio::io_context ioc;
    asio::ssl::context ssl{asio::ssl::context::tls_client};
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    std::chrono::milliseconds step{30'000};
    std::string seen_fingerprint;
    bool open = false;

    beast::tcp_stream& lowest() { return tls ? secure->next_layer() : *plain; }

    // Runs the asynchronous operation that `start` begins until it completes, within the step's deadline.
    template <class Start> beast::error_code run(Start&& start)
    {
        beast::error_code result;
        lowest().expires_after(step);
        start([&result](beast::error_code ec, auto&&... /*results*/) { result = ec; });
        ioc.restart();
        ioc.run();
        return result;
    }

    [[noreturn]] void fail(const std::string& what, const beast::error_code& ec)
    {
        close();
        if (ec == beast::error::timeout) {
            throw CliError(kTimeout, what + ": the server did not answer in time (" + host_field + ")");
        }
        throw CliError(kError, what + ": " + ec.message() + " (" + host_field + ")");
    }

    void close() noexcept
    {
        if (plain || secure) {
            beast::error_code ignored;
            lowest().socket().close(ignored);
        }
        plain.reset();
        secure.reset();
        buffer.clear();
        open = false;
    }

    void connect()
    {
        tcp::resolver resolver(ioc);
        beast::error_code ec;
        const auto endpoints = resolver.resolve(host, port, ec);
        if (ec) {
            throw CliError(kError, "cannot find " + host + ": " + ec.message());
        }
        if (tls) {
            secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, ssl);
        } else {
            plain = std::make_unique<beast::tcp_stream>(ioc);
        }
        beast::error_code connect_ec;
        lowest().expires_after(step);
        lowest().async_connect(endpoints, [&connect_ec](beast::error_code e, const tcp::endpoint&) { connect_ec = e; });
        ioc.restart();
        ioc.run();
        if (connect_ec) {
            fail("cannot connect", connect_ec);
        }
        if (tls) {
            handshake();
        }
        open = true;
    }

    void handshake()
    {
        if (!is_ip_address(host)) {
            // SSL_set_tlsext_host_name, without the macro's cast.
            SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     static_cast<void*>(host.data()));
        }
        seen_fingerprint.clear();
        if (trust.insecure) {
            secure->set_verify_mode(asio::ssl::verify_none);
        } else {
            secure->set_verify_mode(asio::ssl::verify_peer);
            auto by_name = asio::ssl::host_name_verification(host);
            secure->set_verify_callback([this, by_name](bool preverified, asio::ssl::verify_context& ctx) mutable {
                auto* store = ctx.native_handle();
                const int depth = X509_STORE_CTX_get_error_depth(store);
                if (depth == 0) {
                    seen_fingerprint = fingerprint_of(X509_STORE_CTX_get_current_cert(store));
                }
                if (!trust.fingerprint.empty()) {
                    // Pinned: the server's own certificate is what is trusted, whoever signed it.
                    return depth > 0 || seen_fingerprint == trust.fingerprint;
                }
                return by_name(preverified, ctx);
            });
        }
        const auto ec = run([this](auto handler) { secure->async_handshake(asio::ssl::stream_base::client, handler); });
        if (ec) {
            close();
            if (ec.category() == asio::error::get_ssl_category() && !seen_fingerprint.empty()) {
                throw UntrustedCertificate(host_field, seen_fingerprint, trust);
            }
            if (ec == beast::error::timeout) {
                throw CliError(kTimeout, "TLS handshake: the server did not answer in time (" + host_field + ")");
            }
            throw CliError(kError, "TLS handshake with " + host_field + " failed: " + ec.message());
        }
    }

    http::request<http::string_body> make(const HttpRequest& request) const
    {
        http::request<http::string_body> out;
        out.method_string(request.method);
        out.target(request.target);
        out.version(11);
        out.set(http::field::host, host_field);
        out.set(http::field::user_agent, kUserAgent);
        for (const auto& [name, value] : request.headers) {
            out.set(name, value);
        }
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
            out.body() = request.body;
            out.prepare_payload();
        }
        return out;
    }

    template <class Stream> beast::error_code write(Stream& stream, http::request<http::string_body>& message)
    {
        return run([&](auto handler) { http::async_write(stream, message, handler); });
    }

    // Writes the request on an open connection, opening one first; a kept connection the server closed meanwhile
    // fails before any answer arrives and is opened again once (`reused` tells the caller it may retry).
    void begin(http::request<http::string_body>& message, bool& reused)
    {
        reused = open;
        if (!open) {
            connect();
        }
        const auto ec = tls ? write(*secure, message) : write(*plain, message);
        if (ec) {
            if (reused) {
                close();
                connect();
                reused = false;
                const auto again = tls ? write(*secure, message) : write(*plain, message);
                if (again) {
                    fail("cannot send the request", again);
                }
                return;
            }
            fail("cannot send the request", ec);
        }
    }

    template <class Parser> beast::error_code read_header(Parser& parser)
    {
        if (tls) {
            return run([&](auto handler) { http::async_read_header(*secure, buffer, parser, handler); });
        }
        return run([&](auto handler) { http::async_read_header(*plain, buffer, parser, handler); });
    }

    template <class Parser> beast::error_code read_some(Parser& parser)
    {
        if (tls) {
            return run([&](auto handler) { http::async_read_some(*secure, buffer, parser, handler); });
        }
        return run([&](auto handler) { http::async_read_some(*plain, buffer, parser, handler); });
    }

    template <class Message> static void copy_head(const Message& message, HttpResponse& out)
    {
        out.status = static_cast<int>(message.result_int());
        for (const auto& field : message) {
            std::string name(field.name_string());
            for (auto& c : name) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            out.headers[name] = std::string(field.value());
        }
    }

    // Sends and reads the head; on a kept connection that turned out closed, tries once more on a new one.
    template <class Parser> void exchange(const HttpRequest& request, std::unique_ptr<Parser>& parser)
    {
        auto message = make(request);
        for (int attempt = 0;; ++attempt) {
            parser = std::make_unique<Parser>();
            parser->body_limit(kLargestAnswer);
            bool reused = false;
            begin(message, reused);
            const auto ec = read_header(*parser);
            if (!ec) {
                return;
            }
            if (reused && attempt == 0 &&
                (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset)) {
                close();
                continue;
            }
            fail("cannot read the answer", ec);
        }
    }
};

UntrustedCertificate::UntrustedCertificate(const std::string& server, std::string fingerprint, const Trust& trust)
    : CliError(kError,
               trust.fingerprint.empty()
                   ? "the certificate of " + server + " is not trusted: its SHA-256 fingerprint is " + fingerprint +
                         "; if that is the server's (jobsessiond prints it at start), log in with --fingerprint " +
                         fingerprint + ", or give --cacert FILE"
                   : "the certificate of " + server + " is not the one trusted: its SHA-256 fingerprint is " +
                         fingerprint + ", expected " + trust.fingerprint +
                         " (a new certificate, or someone in between: check before trusting it)")
    , fingerprint_(std::move(fingerprint))
{
}

Connection::Connection(const std::string& server, Trust trust)
    : impl_(std::make_unique<Impl>())
{
    const auto url = boost::urls::parse_uri(server);
    if (!url || (url->scheme() != "https" && url->scheme() != "http") || url->host().empty() ||
        !(url->path().empty() || url->path() == "/") || url->has_query() || url->has_userinfo()) {
        throw CliError(kUsage, "the server must be given as https://HOST[:PORT] (or http://): " + server);
    }
    impl_->tls = url->scheme() == "https";
    impl_->host = url->host_address();
    impl_->port = url->has_port() ? std::string(url->port()) : (impl_->tls ? "443" : "80");
    impl_->host_field = std::string(url->encoded_host_and_port());
    impl_->trust = std::move(trust);
    if (impl_->tls && impl_->trust.fingerprint.empty() && !impl_->trust.insecure) {
        boost::system::error_code ec;
        if (!impl_->trust.cacert.empty()) {
            impl_->ssl.load_verify_file(impl_->trust.cacert, ec);
            if (ec) {
                throw CliError(kError, "cannot read the certificate authorities in " + impl_->trust.cacert + ": " +
                                           ec.message());
            }
        } else {
            impl_->ssl.set_default_verify_paths(ec);
        }
    }
}

Connection::~Connection() = default;

void Connection::set_step_timeout(std::chrono::milliseconds timeout) noexcept
{
    impl_->step = timeout;
}

HttpResponse Connection::send(const HttpRequest& request)
{
    std::unique_ptr<http::response_parser<http::string_body>> parser;
    impl_->exchange(request, parser);
    while (!parser->is_done()) {
        const auto ec = impl_->read_some(*parser);
        if (ec) {
            impl_->fail("cannot read the answer", ec);
        }
    }
    HttpResponse out;
    Impl::copy_head(parser->get(), out);
    out.body = std::move(parser->get().body());
    if (!parser->get().keep_alive()) {
        impl_->close();
    }
    return out;
}

void Connection::stream(const HttpRequest& request, const std::function<void(const HttpResponse&)>& on_head,
                        const std::function<bool(std::string_view)>& on_data)
{
    std::unique_ptr<http::response_parser<http::buffer_body>> parser;
    impl_->exchange(request, parser);
    HttpResponse head;
    Impl::copy_head(parser->get(), head);
    on_head(head);
    std::array<char, std::size_t{64} * 1024> piece{};
    while (!parser->is_done()) {
        parser->get().body().data = piece.data();
        parser->get().body().size = piece.size();
        auto ec = impl_->read_some(*parser);
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            impl_->fail("the answer broke off", ec);
        }
        const std::size_t size = piece.size() - parser->get().body().size;
        if (size > 0 && !on_data(std::string_view(piece.data(), size))) {
            impl_->close();
            return;
        }
    }
    if (!parser->get().keep_alive()) {
        impl_->close();
    }
}

void Connection::close() noexcept
{
    impl_->close();
}

const std::string& Connection::seen_fingerprint() const noexcept
{
    return impl_->seen_fingerprint;
}

const std::string& Connection::host() const noexcept
{
    return impl_->host_field;
}

} // namespace jobsessions::cli
