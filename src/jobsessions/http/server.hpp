// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/application.hpp"
#include "jobsessions/http/limits.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::http {

/// A bound, listening TCP socket (close-on-exec), made before the server that accepts on it: a start on a port in
/// use fails before anything else is done.
class Listener {
public:
    /// Binds and listens; the bound endpoint has the real port when 0 was asked.
    static boost::system::result<Listener> bind(const boost::asio::ip::tcp::endpoint& endpoint);
    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&& other) noexcept;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();

    [[nodiscard]] const boost::asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
    /// Hands the descriptor over; this no longer closes it.
    int release() noexcept;

private:
    Listener(int fd, boost::asio::ip::tcp::endpoint endpoint) noexcept;
    int fd_ = -1;
    boost::asio::ip::tcp::endpoint endpoint_;
};

/// The HTTP/1.1 server: one listening socket, one io_context per I/O thread (each connection lives on one thread
/// and needs no locking), and a pool for handlers that may block. TLS unless no context is given.
class Server {
public:
    /// `tls` may be null for plain HTTP. `app` must outlive the server.
    Server(Application& app, Limits limits, std::size_t io_threads, std::size_t blocking_threads,
           std::shared_ptr<boost::asio::ssl::context> tls);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Accepts on `listener` once started.
    void listen(Listener listener);

    /// Starts the I/O threads and the accept loop.
    void start();

    /// Stops accepting, closes idle connections, lets requests in flight finish (up to the shutdown grace), then
    /// stops the threads. Blocks until done. Safe to call once, from any thread but an I/O thread.
    void shutdown();

    /// What the transport counts, for metrics.
    struct Stats {
        std::size_t open_connections = 0;
        std::uint64_t tls_handshakes = 0;
        std::uint64_t failed_tls_handshakes = 0;
    };
    /// Safe from any thread once started.
    [[nodiscard]] Stats stats() const noexcept;

    /// True when every I/O thread's event loop has come round to its once-a-second sweep within `within` (a
    /// thread stuck in a handler, or a deadlock, stops that), for a watchdog. Safe from any thread once started.
    [[nodiscard]] bool responsive(std::chrono::steady_clock::duration within) const noexcept;

    struct Worker;

private:
    Application& app_;
    Limits limits_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::vector<std::unique_ptr<Worker>> workers_;
    boost::asio::thread_pool blocking_pool_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> refusing_{0};
    std::atomic<bool> stopping_{false};
    bool started_ = false;
};

} // namespace jobsessions::http
