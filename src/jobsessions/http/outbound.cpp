// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/outbound.hpp"

#include "jobsessions/util/ip_address.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

#include <stdexcept>

namespace jobsessions::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxAnswerHead = 16 * 1024;

/// Where a URL posts to.
struct Target {
    bool tls = false;
    std::string host;
    bool host_is_address = false;
    std::string port;
    /// Path and query.
    std::string target;
    /// Host and port as the Host header gives them.
    std::string authority;
};

std::optional<Target> parse_target(const std::string& text)
{
    const auto url = boost::urls::parse_absolute_uri(text);
    if (!url || !url->has_authority() || url->encoded_host().empty() || url->has_userinfo()) {
        return std::nullopt;
    }
    Target t;
    if (url->scheme_id() == boost::urls::scheme::https) {
        t.tls = true;
    } else if (url->scheme_id() != boost::urls::scheme::http) {
        return std::nullopt;
    }
    const auto host_type = url->host_type();
    t.host_is_address = host_type == boost::urls::host_type::ipv4 || host_type == boost::urls::host_type::ipv6;
    t.host = t.host_is_address ? std::string(url->host_address()) : std::string(url->host());
    t.port = url->has_port() ? std::string(url->port()) : std::string(t.tls ? "443" : "80");
    t.target = url->encoded_path().empty() ? std::string("/") : std::string(url->encoded_path());
    if (url->has_query()) {
        t.target += "?" + std::string(url->encoded_query());
    }
    t.authority = std::string(url->encoded_host_and_port());
    return t;
}

template <class Stream>
asio::awaitable<void> exchange(Stream& stream, bhttp::request<bhttp::string_body>& request, OutboundAnswer& answer)
{
    auto [write_error, written] = co_await bhttp::async_write(stream, request, kUseTuple);
    if (write_error) {
        answer.error = "sending failed: " + write_error.message();
        co_return;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.header_limit(kMaxAnswerHead);
    auto [read_error, read] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
    if (read_error) {
        answer.error = "no answer: " + read_error.message();
        co_return;
    }
    const int status = static_cast<int>(parser.get().result_int());
    answer.status = status;
    if (status >= 300 && status < 400) {
        answer.error = "answered " + std::to_string(status) + ", a redirect; redirects are not followed";
    } else if (status < 200 || status >= 300) {
        answer.error = "answered " + std::to_string(status);
    }
}

asio::awaitable<void> post_once(const Target& t, const OutboundOptions& options, ssl::context* tls,
                                bhttp::request<bhttp::string_body>& request, OutboundAnswer& answer)
{
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [resolve_error, results] = co_await resolver.async_resolve(t.host, t.port, kUseTuple);
    if (resolve_error) {
        answer.error = "cannot resolve " + t.host + ": " + resolve_error.message();
        co_return;
    }
    std::vector<tcp::endpoint> allowed;
    std::string refused;
    for (const auto& entry : results) {
        const auto address = entry.endpoint().address();
        if (const auto reason = util::non_public_reason(address); reason && !options.allow_private) {
            if (refused.empty()) {
                refused = *reason + " address " + address.to_string();
            }
            continue;
        }
        allowed.push_back(entry.endpoint());
    }
    if (allowed.empty()) {
        answer.error = "refused: " + t.host + " is at a " + refused +
                       "; the server posts to such addresses only with --webhooks-allow-private";
        co_return;
    }
    beast::tcp_stream stream(executor);
    auto [connect_error, endpoint] = co_await stream.async_connect(allowed, kUseTuple);
    if (connect_error) {
        answer.error = "cannot connect to " + t.authority + ": " + connect_error.message();
        co_return;
    }
    if (!t.tls) {
        co_await exchange(stream, request, answer);
        co_return;
    }
    beast::ssl_stream<beast::tcp_stream> secured(std::move(stream), *tls);
    // SSL_set_tlsext_host_name, without the macro's cast.
    if (!t.host_is_address && SSL_ctrl(secured.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                       const_cast<char*>(t.host.c_str())) != 1) {
        answer.error = "cannot name " + t.host + " in the TLS handshake";
        co_return;
    }
    secured.set_verify_mode(ssl::verify_peer);
    secured.set_verify_callback(ssl::host_name_verification(t.host));
    auto [handshake_error] = co_await secured.async_handshake(ssl::stream_base::client, kUseTuple);
    if (handshake_error) {
        std::string reason = handshake_error.message();
        const long verified = SSL_get_verify_result(secured.native_handle());
        if (verified != X509_V_OK) {
            reason = std::string("certificate not trusted: ") + X509_verify_cert_error_string(verified);
        }
        answer.error = "TLS handshake with " + t.authority + " failed: " + reason;
        co_return;
    }
    co_await exchange(secured, request, answer);
}

} // namespace

OutboundClient::OutboundClient(OutboundOptions options)
    : options_(std::move(options))
    , tls_(std::make_shared<ssl::context>(ssl::context::tls_client))
{
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls_->set_default_verify_paths(ec);
    if (ec) {
        throw std::runtime_error("cannot read the system's certificate authorities: " + ec.message());
    }
    if (!options_.ca_file.empty()) {
        tls_->load_verify_file(options_.ca_file, ec);
        if (ec) {
            throw std::runtime_error("cannot read the certificate authorities in " + options_.ca_file + ": " +
                                     ec.message());
        }
    }
}

OutboundAnswer OutboundClient::post(const std::string& url,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::string_view body) const
{
    const auto started = std::chrono::steady_clock::now();
    OutboundAnswer answer;
    const auto target = parse_target(url);
    if (!target) {
        answer.error = "not an http or https URL";
        return answer;
    }
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, target->target, 11};
    request.set(bhttp::field::host, target->authority);
    request.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.body() = std::string(body);
    request.keep_alive(false); // one post per connection: the receiver need not keep it open for another
    request.prepare_payload();

    asio::io_context context(1);
    bool done = false;
    asio::co_spawn(context, post_once(*target, options_, tls_.get(), request, answer),
                   [&done, &answer](const std::exception_ptr& failure) {
                       done = true;
                       if (failure) {
                           answer.error = "failed";
                       }
                   });
    context.run_for(options_.timeout);
    if (!done) {
        answer.status.reset();
        answer.error = "no answer within " + std::to_string(options_.timeout.count()) + " ms";
    }
    answer.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return answer;
}

} // namespace jobsessions::http
