// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::test {

/// One request a receiver got, and the status it answered.
struct ReceivedPost {
    std::string target;
    /// Header names in lower case.
    std::map<std::string, std::string> headers;
    std::string body;
    int answered = 0;

    [[nodiscard]] std::string header(const std::string& name) const
    {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// A webhook receiver on 127.0.0.1 (a free port): plain HTTP, or HTTPS with a certificate and key (PEM files).
/// Every request is recorded and answered with the status `answer` gives for it (200 by default). Requests are
/// served one connection at a time, on a thread of its own.
class WebhookReceiver {
public:
    /// Decides the status of a request from what was received before it (not including it).
    using Answer = std::function<int(const ReceivedPost& post, const std::vector<ReceivedPost>& before)>;

    explicit WebhookReceiver(const std::string& certificate = {}, const std::string& key = {});
    ~WebhookReceiver();
    WebhookReceiver(const WebhookReceiver&) = delete;
    WebhookReceiver& operator=(const WebhookReceiver&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }
    /// "http(s)://127.0.0.1:PORT/hook".
    [[nodiscard]] std::string url() const;
    /// Sets how requests are answered from now on.
    void answer(Answer answer);
    /// Waits until `done(received)` holds, or `timeout` passes; returns whether it held.
    bool wait_until(const std::function<bool(const std::vector<ReceivedPost>&)>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Everything received so far.
    [[nodiscard]] std::vector<ReceivedPost> received();

private:
    void serve();

    boost::asio::io_context context_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::unique_ptr<boost::asio::ssl::context> tls_;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable changed_;
    Answer answer_;
    std::vector<ReceivedPost> received_;
    std::thread thread_;
};

/// Writes a self-signed certificate for 127.0.0.1 and localhost, and its key, into `directory` (cert.pem,
/// key.pem) with the openssl command.
void make_receiver_certificate(const std::string& directory);

} // namespace jobsessions::test
