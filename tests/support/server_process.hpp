// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace jobsessions::test {

/// The admin password every test server starts with.
inline constexpr const char* kAdminPassword = "admin-password-1";

/// How to start a test server.
struct ServerOptions {
    std::string data_dir;
    /// HTTPS with the generated self-signed certificate; plain HTTP otherwise.
    bool tls = false;
    std::vector<std::string> extra_args;
    std::vector<std::pair<std::string, std::string>> env;
    /// The certificate clients trust; empty: the one the server generates in its data directory.
    std::string certificate = {};
};

/// The real jobsessiond binary, started on 127.0.0.1 port 0 with its own data directory. The constructor returns
/// once the server printed its listening line (no sleeping); the destructor kills it if it still runs.
class ServerProcess {
public:
    explicit ServerProcess(ServerOptions options);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] bool tls() const noexcept { return options_.tls; }
    /// "127.0.0.1:PORT", as a client's Host header has it.
    [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    /// "http(s)://127.0.0.1:PORT".
    [[nodiscard]] std::string url() const { return (tls() ? "https://" : "http://") + host(); }
    /// The generated certificate (TLS servers).
    [[nodiscard]] std::string certificate_path() const
    {
        return options_.certificate.empty() ? options_.data_dir + "/tls/cert.pem" : options_.certificate;
    }
    /// Everything the server wrote to stderr so far.
    [[nodiscard]] std::string stderr_text() const;
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    /// Sends SIGTERM and waits; returns the exit code, or 128 + signal when a signal ended it.
    int terminate();
    /// Sends SIGKILL and waits.
    void kill9();

private:
    int wait_for_exit();

    ServerOptions options_;
    std::string stderr_path_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    int port_ = 0;
};

/// The outcome of running jobsessiond to completion.
struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Runs `jobsessiond args...` with `input` on stdin and waits for it to exit.
ProcessResult run_jobsessiond(const std::vector<std::string>& args, const std::string& input = "",
                              const std::vector<std::pair<std::string, std::string>>& env = {});

/// Runs any program (argv[0] is its path) to completion with `input` on stdin, output captured; `env` adds to
/// (or replaces in) the test's environment.
ProcessResult run_program(const std::vector<std::string>& argv, const std::string& input = "",
                          const std::vector<std::pair<std::string, std::string>>& env = {});

/// Adds a user through `jobsessiond user add NAME --role ROLE --data-dir DIR`, password on stdin; fails the test
/// if the command fails.
void add_user(const std::string& data_dir, const std::string& name, const std::string& role,
              const std::string& password);

} // namespace jobsessions::test
