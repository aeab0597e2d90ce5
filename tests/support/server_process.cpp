// SPDX-License-Identifier: Apache-2.0
#include "support/server_process.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>

extern char** environ;

namespace jobsessions::test {
namespace {

std::atomic<int> g_sequence{0};

// The environment for a child: ours without any JOBSESSIOND_* setting, plus `extra` (and no configuration file).
std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& extra)
{
    std::vector<std::string> env;
    // Nothing of the test's own jobsessiond or jobsessions settings reaches a child, and `extra` replaces what it
    // names (getenv would find the first of two).
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        const bool replaced =
            std::any_of(extra.begin(), extra.end(), [name](const auto& v) { return v.first == name; });
        if (!name.starts_with("JOBSESSIOND_") && !name.starts_with("JOBSESSIONS_") && !replaced) {
            env.emplace_back(entry);
        }
    }
    for (const auto& [name, value] : extra) {
        env.push_back(name + "=" + value);
    }
    // A configuration file of the machine (/etc/jobsessions/jobsessiond.conf) is no test's: an empty one instead,
    // unless the test names its own.
    if (std::none_of(extra.begin(), extra.end(), [](const auto& v) { return v.first == "JOBSESSIOND_CONFIG"; })) {
        env.emplace_back("JOBSESSIOND_CONFIG=/dev/null");
    }
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings)
{
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// fork + exec with the given descriptors as stdin, stdout and stderr (-1: /dev/null for stdin); args[0] is
// the program unless `daemon` is set, which runs jobsessiond with args.
pid_t spawn(std::vector<std::string> args, std::vector<std::string> env, int in_fd, int out_fd, int err_fd,
            bool daemon = true)
{
    if (daemon) {
        args.insert(args.begin(), JOBSESSIOND_BINARY);
    }
    auto argv = pointers(args);
    auto envp = pointers(env);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        // The child dies with the test: a crashed or killed test leaves no server behind.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (in_fd >= 0) {
            ::dup2(in_fd, STDIN_FILENO);
        } else {
            const int null_fd = ::open("/dev/null", O_RDONLY);
            ::dup2(null_fd, STDIN_FILENO);
        }
        ::dup2(out_fd, STDOUT_FILENO);
        ::dup2(err_fd, STDERR_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

int exit_code_of(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

} // namespace

ServerProcess::ServerProcess(ServerOptions options)
    : options_(std::move(options))
{
    stderr_path_ = options_.data_dir + "-stderr-" + std::to_string(g_sequence.fetch_add(1)) + ".log";
    std::vector<std::string> args{"serve",     "--listen", "127.0.0.1:0", "--data-dir", options_.data_dir,
                                  "--threads", "2"};
    if (!options_.tls) {
        args.emplace_back("--http");
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    auto env_pairs = options_.env;
    env_pairs.emplace_back("JOBSESSIOND_ADMIN_PASSWORD", kAdminPassword);
    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_ = spawn(args, child_environment(env_pairs), -1, out_pipe[1], err_fd);
    ::close(out_pipe[1]);
    ::close(err_fd);
    stdout_fd_ = out_pipe[0];

    // Wait for "... listening on http://127.0.0.1:PORT": the server prints it once the socket is bound.
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (seen.find('\n') == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd pfd{stdout_fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            kill9();
            throw std::runtime_error("the server did not start in time: " + stderr_text());
        }
        char buf[256];
        const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
        if (n <= 0) {
            wait_for_exit();
            throw std::runtime_error("the server exited at start: " + stderr_text());
        }
        seen.append(buf, static_cast<std::size_t>(n));
    }
    // "listening on SCHEME://HOST:PORT", in a text line as in a JSON one (--log-format json): the port ends the URL.
    const auto url = seen.find("://", seen.find("listening on "));
    const auto url_end = seen.find_first_of(" \"\n", url);
    port_ = std::stoi(seen.substr(seen.rfind(':', url_end) + 1));
}

ServerProcess::~ServerProcess()
{
    if (pid_ > 0) {
        kill9();
    }
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
    }
    ::unlink(stderr_path_.c_str());
}

std::string ServerProcess::stderr_text() const
{
    return read_file(stderr_path_);
}

int ServerProcess::wait_for_exit()
{
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return exit_code_of(status);
}

int ServerProcess::terminate()
{
    ::kill(pid_, SIGTERM);
    return wait_for_exit();
}

void ServerProcess::kill9()
{
    ::kill(pid_, SIGKILL);
    wait_for_exit();
}

namespace {

// Runs argv (jobsessiond's arguments when `daemon`) with `input` on stdin, to completion.
ProcessResult run_to_completion(const std::vector<std::string>& args, const std::string& input,
                                const std::vector<std::pair<std::string, std::string>>& env, bool daemon)
{
    TempDir io;
    const auto in_path = io.file("stdin");
    {
        const int fd = ::open(in_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (!input.empty() && ::write(fd, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
            ::close(fd);
            throw std::runtime_error("cannot write the child's stdin");
        }
        ::close(fd);
    }
    const int in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
    const int out_fd = ::open(io.file("stdout").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    const int err_fd = ::open(io.file("stderr").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    const pid_t pid = spawn(args, child_environment(env), in_fd, out_fd, err_fd, daemon);
    ::close(in_fd);
    ::close(out_fd);
    ::close(err_fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return ProcessResult{exit_code_of(status), read_file(io.file("stdout")), read_file(io.file("stderr"))};
}

} // namespace

ProcessResult run_jobsessiond(const std::vector<std::string>& args, const std::string& input,
                              const std::vector<std::pair<std::string, std::string>>& env)
{
    return run_to_completion(args, input, env, true);
}

ProcessResult run_program(const std::vector<std::string>& argv, const std::string& input,
                          const std::vector<std::pair<std::string, std::string>>& env)
{
    return run_to_completion(argv, input, env, false);
}

void add_user(const std::string& data_dir, const std::string& name, const std::string& role,
              const std::string& password)
{
    const auto result = run_jobsessiond({"user", "add", name, "--role", role, "--data-dir", data_dir}, password + "\n");
    ASSERT_EQ(result.exit_code, 0) << result.err;
}

} // namespace jobsessions::test
