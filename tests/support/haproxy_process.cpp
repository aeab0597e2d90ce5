// SPDX-License-Identifier: Apache-2.0
#include "support/haproxy_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

namespace jobsessions::test {
namespace {

/// The configuration the README shows, with test-sized intervals.
std::string configuration(const std::vector<int>& backend_ports)
{
    std::string text = R"(global
    maxconn 1000

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A request that found its node dead (refused, or closed without an answer) goes to another one; writes carry
    # an Idempotency-Key, so the node that gets it again answers without doing it twice.
    option http-buffer-request
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend api
    bind fd@3
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
)";
    char name = 'a';
    for (const int port : backend_ports) {
        text += "    server node-" + std::string(1, name++) + " 127.0.0.1:" + std::to_string(port) +
                " check inter 300ms fall 1 rise 1\n";
    }
    return text;
}

} // namespace

HaproxyProcess::HaproxyProcess(const std::string& dir, const std::vector<int>& backend_ports)
    : output_path_(dir + "/haproxy.out")
{
    const std::string config_path = dir + "/haproxy.cfg";
    std::ofstream(config_path) << configuration(backend_ports);

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 128) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("cannot make haproxy's listening socket");
    }
    port_ = ntohs(address.sin_port);
    const int out = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (listener == 3) {
            ::fcntl(3, F_SETFD, 0);
        } else {
            ::dup2(listener, 3);
        }
        const int null_fd = ::open("/dev/null", O_RDONLY);
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
        ::execl("/usr/sbin/haproxy", "haproxy", "-db", "-f", config_path.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(listener);
    ::close(out);
    if (pid_ < 0) {
        throw std::runtime_error("cannot start haproxy");
    }
}

HaproxyProcess::~HaproxyProcess()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

std::string HaproxyProcess::output() const
{
    std::ifstream in(output_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace jobsessions::test
