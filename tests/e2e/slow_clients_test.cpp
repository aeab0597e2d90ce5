// SPDX-License-Identifier: Apache-2.0
// Slow and many clients: each is bounded by a deadline or a limit, and none keeps the others from their answers.
#include "e2e/e2e_fixture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <sys/socket.h>

namespace jobsessions::test {
namespace {

using SlowClients = ServerTest;
using Steady = std::chrono::steady_clock;

/// A raw TCP connection to the server, non-blocking once connected.
class RawConnection {
public:
    explicit RawConnection(int port)
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot connect");
        }
        ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    }
    ~RawConnection()
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }

    /// Sends what it can of `bytes` without waiting.
    void send(std::string_view bytes) const { (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

    /// Reads what has arrived; true once the server has closed the connection (end of stream or reset).
    bool read_closed()
    {
        char buf[4096];
        for (;;) {
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                received_.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        }
    }

    /// Waits up to `timeout` for the server to close the connection; true when it did.
    bool closed_within(std::chrono::milliseconds timeout)
    {
        const auto until = Steady::now() + timeout;
        while (!read_closed()) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Steady::now());
            pollfd pfd{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) == 0) {
                return false;
            }
        }
        return true;
    }

    [[nodiscard]] const std::string& received() const noexcept { return received_; }

private:
    int fd_ = -1;
    std::string received_;
};

TEST_F(SlowClients, AThousandOneBytePerSecondClientsHoldUpNoOneAndEachEndsAtTheRequestDeadline)
{
    start(false, {"--request-timeout", "3", "--idle-timeout", "60"});
    const std::string request = "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\nX-Slow: one byte per second\r\n\r\n";
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 1000; ++i) {
        slow.push_back(std::make_unique<RawConnection>(server_->port()));
        slow.back()->send(request.substr(0, 1));
    }
    // Meanwhile a normal client is served as usual.
    HttpClient normal(*server_);
    EXPECT_EQ(normal.get("/api/v1/system/about").status, 200);

    // One more byte each second: far too slow to finish the request (which needs over 70 s) before its 3 s are up.
    const auto started = Steady::now();
    std::size_t sent = 1;
    std::vector<bool> closed(slow.size(), false);
    std::size_t open = slow.size();
    while (open > 0 && Steady::now() - started < std::chrono::seconds(20)) {
        std::vector<pollfd> fds;
        for (std::size_t i = 0; i < slow.size(); ++i) {
            fds.push_back({closed[i] ? -1 : slow[i]->fd(), POLLIN, 0});
        }
        (void)::poll(fds.data(), fds.size(), 1000); // the client's own pace: a byte a second
        for (std::size_t i = 0; i < slow.size(); ++i) {
            if (!closed[i] && slow[i]->read_closed()) {
                closed[i] = true;
                --open;
            }
        }
        if (Steady::now() - started >= std::chrono::seconds(static_cast<int>(sent)) && sent < request.size()) {
            for (std::size_t i = 0; i < slow.size(); ++i) {
                if (!closed[i]) {
                    slow[i]->send(request.substr(sent, 1));
                }
            }
            ++sent;
        }
    }
    EXPECT_EQ(open, 0U) << "connections still open after 20 s; the request deadline is 3 s";
    for (const auto& connection : slow) {
        EXPECT_EQ(connection->received(), ""); // closed without an answer: no request was ever whole
    }
    // The server is as it was.
    EXPECT_EQ(normal.get("/api/v1/system/about").status, 200);
}

TEST_F(SlowClients, AnIdleKeepAliveConnectionIsClosedAfterItsTimeout)
{
    start(false, {"--idle-timeout", "1"});
    RawConnection connection(server_->port());
    connection.send("GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(connection.closed_within(std::chrono::seconds(10)));
    EXPECT_EQ(connection.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << connection.received();
}

TEST_F(SlowClients, TheConnectionLimitTurnsTheNextClientAwayWithA503)
{
    start(false, {"--max-connections", "3"});
    client_->disconnect();
    RawConnection first(server_->port());
    RawConnection second(server_->port());
    RawConnection third(server_->port());
    // Served in turn, so the server has taken all three before the fourth arrives.
    for (auto* connection : {&first, &second, &third}) {
        connection->send("GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n");
        pollfd pfd{connection->fd(), POLLIN, 0};
        ASSERT_EQ(::poll(&pfd, 1, 10'000), 1);
        EXPECT_FALSE(connection->read_closed());
    }
    RawConnection fourth(server_->port());
    fourth.send("GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(fourth.closed_within(std::chrono::seconds(10)));
    EXPECT_EQ(fourth.received().rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0U) << fourth.received();
    EXPECT_NE(fourth.received().find("Retry-After: 1\r\n"), std::string::npos);
    EXPECT_NE(fourth.received().find(R"("detail":"Too many connections."})"), std::string::npos) << fourth.received();
    const auto body_at = fourth.received().find("\r\n\r\n") + 4;
    EXPECT_NE(fourth.received().find("Content-Length: " + std::to_string(fourth.received().size() - body_at)),
              std::string::npos)
        << fourth.received();
    // Those within the limit go on being served.
    first.send("GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(first.closed_within(std::chrono::seconds(10)));
    const auto& answers = first.received();
    const auto second_answer = answers.find("HTTP/1.1 200 OK\r\n", 1);
    EXPECT_EQ(answers.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << answers;
    EXPECT_NE(second_answer, std::string::npos) << answers;
}

} // namespace
} // namespace jobsessions::test
