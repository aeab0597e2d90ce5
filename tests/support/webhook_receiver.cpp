// SPDX-License-Identifier: Apache-2.0
#include "support/webhook_receiver.hpp"

#include "support/server_process.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <cctype>
#include <sys/socket.h>

namespace jobsessions::test {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

template <class Stream> ReceivedPost read_post(Stream& stream, boost::system::error_code& ec)
{
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::read(stream, buffer, request, ec);
    ReceivedPost post;
    if (ec) {
        return post;
    }
    post.target = std::string(request.target());
    for (const auto& field : request) {
        std::string name(field.name_string());
        for (auto& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        post.headers[name] = std::string(field.value());
    }
    post.body = std::move(request.body());
    return post;
}

template <class Stream> void answer_post(Stream& stream, int status)
{
    bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
    if (status != 204 && status != 304) { // these have no body
        response.set(bhttp::field::content_type, "text/plain");
        response.body() = "ok\n";
    }
    response.keep_alive(false);
    response.prepare_payload();
    boost::system::error_code ec;
    bhttp::write(stream, response, ec);
}

} // namespace

WebhookReceiver::WebhookReceiver(const std::string& certificate, const std::string& key)
    : acceptor_(context_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
    , answer_([](const ReceivedPost&, const std::vector<ReceivedPost>&) { return 200; })
{
    if (!certificate.empty()) {
        tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        tls_->use_certificate_chain_file(certificate);
        tls_->use_private_key_file(key, asio::ssl::context::pem);
    }
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver()
{
    stopping_ = true;
    // Shutting a listening socket down ends the accept blocked on it (Linux).
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
}

std::string WebhookReceiver::url() const
{
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/hook";
}

void WebhookReceiver::answer(Answer answer)
{
    const std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
}

bool WebhookReceiver::wait_until(const std::function<bool(const std::vector<ReceivedPost>&)>& done,
                                 std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(received_); });
}

std::vector<ReceivedPost> WebhookReceiver::received()
{
    const std::lock_guard lock(mutex_);
    return received_;
}

void WebhookReceiver::serve()
{
    while (true) {
        tcp::socket socket(context_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) {
            return;
        }
        socket.set_option(asio::socket_base::linger(true, 0), ec);
        const auto handle = [this](auto& stream) {
            boost::system::error_code read_error;
            auto post = read_post(stream, read_error);
            if (read_error) {
                return;
            }
            int status = 200;
            {
                const std::lock_guard lock(mutex_);
                status = answer_(post, received_);
                post.answered = status;
            }
            answer_post(stream, status);
            {
                const std::lock_guard lock(mutex_);
                received_.push_back(std::move(post));
            }
            changed_.notify_all();
        };
        if (tls_) {
            asio::ssl::stream<tcp::socket> secured(std::move(socket), *tls_);
            secured.handshake(asio::ssl::stream_base::server, ec);
            if (!ec) {
                handle(secured);
            }
        } else {
            handle(socket);
        }
    }
}

void make_receiver_certificate(const std::string& directory)
{
    const auto result = run_program({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                     "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout",
                                     directory + "/key.pem", "-out", directory + "/cert.pem"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
}

} // namespace jobsessions::test
