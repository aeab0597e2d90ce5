// SPDX-License-Identifier: Apache-2.0
#include "support/http_client.hpp"

#include "support/gunzip.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>

namespace jobsessions::test {
namespace {

void record_exchange(const std::string& method, const std::string& target, const HttpResponse& response)
{
    // Every answer of the API that a test sees, for the check against the OpenAPI document (docs/openapi.json)
    // that runs after the end-to-end tests: one JSON line per answer, one file per test process.
    static const char* const dir = std::getenv("JOBSESSIONS_EXCHANGE_DIR");
    const auto under = [&](std::string_view prefix) {
        return target.starts_with(std::string(prefix) + "/") || target.starts_with(std::string(prefix) + "?") ||
               target == prefix;
    };
    if (dir == nullptr || !(under("/api") || under("/health") || under("/metrics"))) {
        return;
    }
    boost::json::object line;
    line["method"] = method;
    line["target"] = target;
    line["status"] = response.status;
    line["contentType"] = response.header("Content-Type");
    // A compressed body is checked as the client reads it: decoded (gzip), or not at all (brotli, which tests
    // only ask for built-in files).
    const auto coding = response.header("Content-Encoding");
    if (coding == "gzip") {
        if (auto body = gunzip(response.body)) {
            line["body"] = *body;
        }
    } else if (coding.empty() && response.body.size() <= std::size_t{4} * 1024 * 1024) {
        line["body"] = response.body;
    }
    static std::mutex mutex; // tests with clients on several threads write one line at a time
    const std::lock_guard lock(mutex);
    static std::ofstream file = [] {
        std::filesystem::create_directories(dir);
        return std::ofstream(std::string(dir) + "/" + std::to_string(::getpid()) + ".jsonl", std::ios::app);
    }();
    file << boost::json::serialize(line) << '\n' << std::flush;
}

} // namespace

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
    asio::io_context ctx;
    tcp::endpoint endpoint;
    std::string host;
    bool tls = false;
    asio::ssl::context ssl{asio::ssl::context::tls_client};
    std::optional<tcp::socket> plain;
    std::optional<asio::ssl::stream<tcp::socket>> secure;
    beast::flat_buffer buffer;

    void connect()
    {
        buffer.clear();
        if (tls) {
            secure.emplace(ctx, ssl);
            secure->next_layer().connect(endpoint);
            secure->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
            secure->handshake(asio::ssl::stream_base::client);
        } else {
            plain.emplace(ctx);
            plain->connect(endpoint);
        }
    }
    bool connected() const { return tls ? secure.has_value() : plain.has_value(); }
    void close()
    {
        beast::error_code ec;
        if (secure) {
            secure->next_layer().close(ec);
            secure.reset();
        }
        if (plain) {
            plain->close(ec);
            plain.reset();
        }
    }
    template <class F> auto with_stream(F&& f)
    {
        if (tls) {
            return f(*secure);
        }
        return f(*plain);
    }
};

std::string HttpResponse::header(const std::string& name) const
{
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) {
            return v;
        }
    }
    return "";
}

bool HttpResponse::has_header(const std::string& name) const
{
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) {
            return true;
        }
    }
    return false;
}

boost::json::value HttpResponse::json() const
{
    return boost::json::parse(body);
}

HttpClient::HttpClient(const ServerProcess& server)
    : impl_(std::make_unique<Impl>())
{
    impl_->endpoint = tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port()));
    impl_->host = server.host();
    impl_->tls = server.tls();
    if (impl_->tls) {
        impl_->ssl.load_verify_file(server.certificate_path());
        impl_->ssl.set_verify_mode(asio::ssl::verify_peer);
    }
}

HttpClient::HttpClient(int port)
    : impl_(std::make_unique<Impl>())
{
    impl_->endpoint = tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    impl_->host = "127.0.0.1:" + std::to_string(port);
}

HttpClient::~HttpClient()
{
    impl_->close();
}

void HttpClient::disconnect()
{
    impl_->close();
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const Headers& headers)
{
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, impl_->host);
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
        if (beast::iequals(name, "Host")) { // another host than the server's address
            req.set(http::field::host, value);
            continue;
        }
        req.insert(name, value);
        has_content_type = has_content_type || beast::iequals(name, "Content-Type");
    }
    if (!body.empty()) {
        req.body() = body;
        req.prepare_payload();
    } else if (method == "POST" || method == "PATCH" || method == "PUT") {
        req.content_length(0);
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!impl_->connected()) {
            impl_->connect();
        }
        beast::error_code ec;
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(method == "HEAD"); // the answer to HEAD has a Content-Length but no body
        impl_->with_stream([&](auto& stream) {
            http::write(stream, req, ec);
            if (!ec) {
                http::read(stream, impl_->buffer, parser, ec);
            }
            return 0;
        });
        if (ec) {
            // A server may close a kept-alive connection at any time: retry once on a new one.
            impl_->close();
            if (attempt == 0 && (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                                 ec == asio::error::broken_pipe || ec == asio::error::eof)) {
                continue;
            }
            throw beast::system_error(ec);
        }
        auto res = parser.release();
        HttpResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& field : res) {
            out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        out.body = std::move(res.body());
        if (!res.keep_alive()) {
            impl_->close();
        }
        record_exchange(method, target, out);
        return out;
    }
    throw std::runtime_error("unreachable");
}

HttpResponse HttpClient::get(const std::string& target, const std::string& token)
{
    Headers headers;
    if (!token.empty()) {
        headers.emplace_back("Authorization", "Bearer " + token);
    }
    return request("GET", target, "", headers);
}

HttpResponse HttpClient::send_json(const std::string& method, const std::string& target, const std::string& json,
                                   const std::string& token, const Headers& extra)
{
    Headers headers{{"Content-Type", "application/json"}};
    if (!token.empty()) {
        headers.emplace_back("Authorization", "Bearer " + token);
    }
    headers.insert(headers.end(), extra.begin(), extra.end());
    return request(method, target, json, headers);
}

HttpResponse HttpClient::post_form(const std::string& target, const std::string& form)
{
    return request("POST", target, form, {{"Content-Type", "application/x-www-form-urlencoded"}});
}

std::string HttpClient::raw(const std::string& bytes)
{
    impl_->close();
    impl_->connect();
    std::string received;
    impl_->with_stream([&](auto& stream) {
        asio::write(stream, asio::buffer(bytes));
        beast::error_code ec;
        char buf[4096];
        for (;;) {
            const auto n = stream.read_some(asio::buffer(buf), ec);
            received.append(buf, n);
            if (ec) {
                break;
            }
        }
        return 0;
    });
    impl_->close();
    return received;
}

std::string login(HttpClient& client, const std::string& user, const std::string& password)
{
    const auto res =
        client.post_form("/api/oauth2/token", "grant_type=password&username=" + user + "&password=" + password);
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) {
        return "";
    }
    return std::string(res.json().at("access_token").as_string());
}

} // namespace jobsessions::test

namespace jobsessions::test {

StreamReader::StreamReader(const ServerProcess& server, const std::string& request)
{
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error("cannot connect");
    }
    std::size_t sent = 0;
    while (sent < request.size()) {
        const auto n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            throw std::runtime_error("cannot send");
        }
        sent += static_cast<std::size_t>(n);
    }
}

StreamReader::~StreamReader()
{
    close();
}

void StreamReader::close()
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

const std::string& StreamReader::read_until(const std::function<bool(const std::string&)>& done,
                                            std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && !done(received_)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            break;
        }
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        char buf[8192];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            closed_ = true;
            break;
        }
        received_.append(buf, static_cast<std::size_t>(n));
    }
    return received_;
}

std::string dechunk(const std::string& response)
{
    const auto head_end = response.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        return {};
    }
    std::string body;
    std::size_t at = head_end + 4;
    while (at < response.size()) {
        const auto line_end = response.find("\r\n", at);
        if (line_end == std::string::npos) {
            break;
        }
        const auto size = std::stoul(response.substr(at, line_end - at), nullptr, 16);
        if (size == 0) {
            break;
        }
        body.append(response, line_end + 2, size);
        at = line_end + 2 + size + 2;
    }
    return body;
}

} // namespace jobsessions::test
