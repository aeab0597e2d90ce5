// SPDX-License-Identifier: Apache-2.0
// Whole connections through the real server: the transport (keep-alive, pipelining, partial reads, framing,
// limits) and the API behind it, fed as several writes split at points the input chooses. "@AGENT@" in the input
// becomes an Agent's token, so requests reach the handlers behind authentication (an Agent cannot define or
// start policies: nothing the fuzzer sends runs a command).
#include "jobsessions/api/api_application.hpp"
#include "jobsessions/http/server.hpp"

#include "fuzz_app.hpp"

#include <poll.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

using namespace jobsessions;

namespace {

struct RunningServer {
    std::unique_ptr<http::Server> server;
    int port = 0;
};

RunningServer& running()
{
    static RunningServer* instance = [] {
        auto* made = new RunningServer;
        auto& app = fuzz::FuzzApp::instance();
        http::Limits limits;
        limits.request_timeout = std::chrono::seconds(2);
        limits.idle_timeout = std::chrono::seconds(2);
        made->server = std::make_unique<http::Server>(app.application(), limits, 1, 2, nullptr);
        auto listener = http::Listener::bind({boost::asio::ip::make_address("127.0.0.1"), 0});
        if (!listener) {
            std::abort();
        }
        made->port = listener->endpoint().port();
        made->server->listen(std::move(*listener));
        made->server->start();
        return made;
    }();
    return *instance;
}

int connect_to(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0) {
        std::abort();
    }
    // Closed with a reset, so that hundreds of thousands of connections leave no TIME_WAIT behind to use up the
    // ports.
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    // libFuzzer's timeout alarm interrupts connect (EINTR; the connection goes on, EALREADY until it is made,
    // then EISCONN). Running out of local ports (other programs on the machine opening thousands of connections)
    // is not a finding either: wait for ports to come free, for up to a minute.
    int attempts = 0;
    while (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 && errno != EISCONN) {
        const bool interrupted = errno == EINTR || errno == EALREADY;
        if (!interrupted && (errno != EADDRNOTAVAIL || ++attempts == 600)) {
            std::fprintf(stderr, "connection_fuzzer: cannot connect to the server: %s\n", std::strerror(errno));
            std::abort();
        }
        pollfd writable{fd, POLLOUT, 0};
        ::poll(interrupted ? &writable : nullptr, interrupted ? 1 : 0, 100);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/// Reads what the server sends until it closes or is quiet for `quiet_ms`.
void drain(int fd, int quiet_ms)
{
    char buf[16384];
    for (;;) {
        pollfd pfd{fd, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, quiet_ms);
        if (ready < 0 && errno == EINTR) {
            continue; // libFuzzer's alarm
        }
        if (ready <= 0) {
            return;
        }
        const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2) {
        return 0;
    }
    auto& server = running();
    // The first two bytes choose where the stream is cut into writes; the rest is the stream.
    const unsigned seed = data[0] * 256U + data[1];
    const std::string stream =
        fuzz::FuzzApp::instance().with_tokens(std::string_view(reinterpret_cast<const char*>(data + 2), size - 2));
    const int fd = connect_to(server.port);
    std::size_t at = 0;
    unsigned state = seed | 1U;
    while (at < stream.size()) {
        state = state * 1103515245U + 12345U;
        const std::size_t length = std::min<std::size_t>(stream.size() - at, 1 + (state >> 16) % 512);
        const ssize_t sent = ::send(fd, stream.data() + at, length, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue; // libFuzzer's alarm
        }
        if (sent <= 0) {
            break;
        }
        at += static_cast<std::size_t>(sent);
        if ((state >> 8) % 4 == 0) {
            drain(fd, 0); // let the server answer part of it before more comes
        }
    }
    ::shutdown(fd, SHUT_WR);
    drain(fd, 300); // a long poll or a followed log ends here: the connection is closed under it
    ::close(fd);
    return 0;
}
