// SPDX-License-Identifier: Apache-2.0
#include "support/tcp_relay.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

namespace jobsessions::test {
namespace {

sockaddr_in loopback(int port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    return address;
}

} // namespace

TcpRelay::TcpRelay(int target_port)
    : target_port_(target_port)
{
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(0);
    socklen_t size = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        throw std::runtime_error("the relay cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

TcpRelay::~TcpRelay()
{
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    cut();
    acceptor_.join();
    for (auto& thread : threads_) {
        thread.join();
    }
    ::close(listener_);
}

void TcpRelay::cut()
{
    const std::lock_guard lock(mutex_);
    for (const int fd : open_) {
        ::shutdown(fd, SHUT_RDWR);
    }
}

void TcpRelay::accept_loop()
{
    while (!stopping_) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            continue;
        }
        if (stopping_) {
            ::close(client);
            break;
        }
        if (paused_) {
            ::close(client);
            continue;
        }
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto address = loopback(target_port_);
        if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(client);
            ::close(server);
            continue;
        }
        {
            const std::lock_guard lock(mutex_);
            open_.push_back(client);
            open_.push_back(server);
        }
        threads_.emplace_back([this, client, server] { relay(client, server); });
    }
}

void TcpRelay::relay(int client, int server)
{
    std::array<char, 16 * 1024> buffer{};
    std::array<pollfd, 2> fds{pollfd{client, POLLIN, 0}, pollfd{server, POLLIN, 0}};
    bool open = true;
    while (open && ::poll(fds.data(), fds.size(), -1) > 0) {
        for (std::size_t i = 0; i < fds.size() && open; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n <= 0) {
                open = false;
                break;
            }
            const int to = i == 0 ? server : client;
            for (ssize_t sent = 0; sent < n;) {
                // MSG_NOSIGNAL: a peer that is gone (or a cut) ends the relay, not the test process by SIGPIPE.
                const auto w = ::send(to, buffer.data() + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
                if (w <= 0) {
                    open = false;
                    break;
                }
                sent += w;
            }
            (i == 1 ? to_clients_ : to_server_) += static_cast<std::size_t>(n);
        }
    }
    const std::lock_guard lock(mutex_);
    open_.erase(std::remove_if(open_.begin(), open_.end(), [&](int fd) { return fd == client || fd == server; }),
                open_.end());
    ::close(client);
    ::close(server);
}

} // namespace jobsessions::test
