// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace jobsessions::test {

/// haproxy (from Debian) balancing plain HTTP over local servers, as the README's walkthrough sets it up: health
/// checks on GET /health/ready, and a request that found a node dead retried on another. It listens on a socket
/// the test bound (127.0.0.1, a free port) and hands over as descriptor 3, so it accepts as soon as it is made.
class HaproxyProcess {
public:
    /// `dir` receives the configuration and haproxy's output.
    HaproxyProcess(const std::string& dir, const std::vector<int>& backend_ports);
    ~HaproxyProcess();
    HaproxyProcess(const HaproxyProcess&) = delete;
    HaproxyProcess& operator=(const HaproxyProcess&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }
    /// What haproxy wrote so far.
    [[nodiscard]] std::string output() const;

private:
    std::string output_path_;
    pid_t pid_ = -1;
    int port_ = 0;
};

} // namespace jobsessions::test
