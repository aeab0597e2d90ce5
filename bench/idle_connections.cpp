// SPDX-License-Identifier: Apache-2.0
// jobsessions-idle: opens many keep-alive connections to a server (plain or TLS), makes one request on each, and
// holds them idle until a line arrives on stdin; then closes them all. bench/run-idle measures the server's
// memory meanwhile.
//
//   jobsessions-idle --port P [--tls] [--connections N] [--path /api/v1/system/about]
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <unistd.h>

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/socket.h>
#include <vector>

namespace {

struct Connection {
    int fd = -1;
    SSL* ssl = nullptr;
};

bool send_all(const Connection& c, std::string_view bytes)
{
    while (!bytes.empty()) {
        const int n = c.ssl != nullptr ? SSL_write(c.ssl, bytes.data(), static_cast<int>(bytes.size()))
                                       : static_cast<int>(::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL));
        if (n <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Reads one response with a Content-Length.
bool read_response(const Connection& c)
{
    std::string got;
    char buf[4096];
    std::size_t need = std::string::npos;
    while (need == std::string::npos || got.size() < need) {
        const int n =
            c.ssl != nullptr ? SSL_read(c.ssl, buf, sizeof buf) : static_cast<int>(::recv(c.fd, buf, sizeof buf, 0));
        if (n <= 0) {
            return false;
        }
        got.append(buf, static_cast<std::size_t>(n));
        const auto end = got.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
            const auto at = got.find("Content-Length: ");
            if (at == std::string::npos || at > end) {
                return false;
            }
            need = end + 4 + std::stoul(got.substr(at + 16));
        }
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    int port = 0;
    bool tls = false;
    int count = 10000;
    std::string path = "/api/v1/system/about";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (arg == "--tls") {
            tls = true;
        } else if (arg == "--connections" && i + 1 < argc) {
            count = std::atoi(argv[++i]);
        } else if (arg == "--path" && i + 1 < argc) {
            path = argv[++i];
        } else {
            std::cerr << "usage: jobsessions-idle --port P [--tls] [--connections N] [--path PATH]\n";
            return 2;
        }
    }
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);

    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr); // the benchmark's own self-signed certificate
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    std::vector<Connection> connections;
    for (int i = 0; i < count; ++i) {
        Connection c;
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (c.fd < 0 || ::connect(c.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            std::cerr << "connection " << i << ": cannot connect: " << std::strerror(errno) << '\n';
            return 1;
        }
        const int one = 1; // the handshake's last flight and the request go out at once, as a browser's do
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (tls) {
            c.ssl = SSL_new(ctx);
            SSL_set_fd(c.ssl, c.fd);
            if (SSL_connect(c.ssl) != 1) {
                std::cerr << "connection " << i << ": TLS handshake failed\n";
                ERR_print_errors_fp(stderr);
                return 1;
            }
        }
        if (!send_all(c, request) || !read_response(c)) {
            std::cerr << "connection " << i << ": no answer\n";
            return 1;
        }
        connections.push_back(c);
    }
    std::cout << "open " << connections.size() << std::endl;
    std::string line;
    std::getline(std::cin, line);
    for (auto& c : connections) {
        if (c.ssl != nullptr) {
            SSL_free(c.ssl);
        }
        ::close(c.fd);
    }
    std::cout << "closed" << std::endl;
    SSL_CTX_free(ctx);
    return 0;
}
