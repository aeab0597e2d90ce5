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
    /// Closes every connection open now (new ones are relayed as before).
    void cut();

private:
    void accept_loop();
    void relay(int client, int server);

    int target_port_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> to_clients_{0};
    std::mutex mutex_;
    std::vector<int> open_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

} // namespace jobsessions::test
