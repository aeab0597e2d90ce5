// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace jobsessions::test {

/// A TCP relay on 127.0.0.1 (a free port) to another local port, whose connections a test can cut at any moment:
/// a network that drops, between a client and the real server.
class TcpRelay {
public:
    explicit TcpRelay(int target_port);
    ~TcpRelay();
    TcpRelay(const TcpRelay&) = delete;
    TcpRelay& operator=(const TcpRelay&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }
    /// Bytes relayed from the server to clients so far.
    [[nodiscard]] std::size_t bytes_to_clients() const noexcept { return to_clients_.load(); }
    /// Bytes relayed from clients to the server so far.
    [[nodiscard]] std::size_t bytes_to_server() const noexcept { return to_server_.load(); }
    /// Closes every connection open now (new ones are relayed as before).
    void cut();
    /// While paused, connections are accepted and closed at once: a server that cannot be reached.
    void pause(bool paused) noexcept { paused_ = paused; }
    /// Relays new connections to another port (a server restarted on a new one).
    void retarget(int target_port) noexcept { target_port_ = target_port; }

private:
    void accept_loop();
    void relay(int client, int server);

    std::atomic<int> target_port_;
    std::atomic<bool> paused_{false};
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> to_clients_{0};
    std::atomic<std::size_t> to_server_{0};
    std::mutex mutex_;
    std::vector<int> open_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

} // namespace jobsessions::test
