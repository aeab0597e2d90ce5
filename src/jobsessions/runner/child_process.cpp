// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/child_process.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

namespace jobsessions::runner {
namespace {

/// Closes every descriptor from `first` on.
void close_descriptors_from(int first)
{
    if (::close_range(static_cast<unsigned>(first), ~0U, 0) != 0) {
        for (int fd = first; fd < 65536; ++fd) {
            ::close(fd);
        }
    }
}

std::string signal_name(int signal)
{
    const char* abbrev = ::sigabbrev_np(signal);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

} // namespace

[[noreturn]] void exec_child(const ChildSetup& s)
{
    ::setpgid(0, 0);
    // If the server dies, so does the command (the keeper kills the rest of its group; the next start, too).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != s.parent) {
        ::_exit(127);
    }
    char go = 0;
    ssize_t got = 0;
    do {
        got = ::read(s.go, &go, 1);
    } while (got < 0 && errno == EINTR);
    if (got != 1) {
        ::_exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::umask(s.umask);
    rlimit files{};
    if (s.descriptor_limit != RLIM_INFINITY && ::getrlimit(RLIMIT_NOFILE, &files) == 0) {
        files.rlim_cur = s.descriptor_limit;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, STDIN_FILENO);
    ::dup2(s.output, STDOUT_FILENO);
    ::dup2(s.output, STDERR_FILENO);
    // The command gets descriptors 0, 1 and 2 and nothing else of the server: even one opened without
    // close-on-exec by another thread a moment before fork is closed here. The report pipe, needed until exec,
    // moves to 3 and closes on exec.
    int report = s.report;
    if (report != 3 && ::dup3(report, 3, O_CLOEXEC) == 3) {
        report = 3;
    }
    close_descriptors_from(report == 3 ? 4 : 3);
    ExecFailure failure{0, 0};
    if (::chdir(s.directory) != 0) {
        failure = {0, errno};
    } else {
        ::execvpe(s.argv[0], s.argv.data(), s.envp.data());
        failure = {1, errno};
    }
    (void)!::write(report, &failure, sizeof failure);
    ::_exit(127);
}

std::int64_t process_start_ticks(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) {
        return 0;
    }
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    // After the command name: state is field 3, start time field 22.
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 22) {
            return std::stoll(field);
        }
    }
    return 0;
}

bool Child::release()
{
    const char start = 1;
    const bool told = ::write(go.get(), &start, 1) == 1;
    go.reset();
    return told;
}

std::optional<ExecFailure> Child::exec_failure()
{
    ExecFailure failure{};
    ssize_t n = 0;
    do {
        n = ::read(report.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    report.reset();
    if (n == static_cast<ssize_t>(sizeof failure)) {
        return failure;
    }
    return std::nullopt;
}

boost::system::result<Child, std::string> ForkLauncher::launch(const ChildCommand& command)
{
    std::array<int, 2> output{-1, -1};
    std::array<int, 2> report{-1, -1};
    std::array<int, 2> go{-1, -1};
    const bool piped = ::pipe2(output.data(), O_CLOEXEC) == 0 && ::pipe2(report.data(), O_CLOEXEC) == 0 &&
                       ::pipe2(go.data(), O_CLOEXEC) == 0;
    const int pipe_error = errno;
    Child child;
    child.output = Fd(output[0]);
    Fd output_write(output[1]);
    child.report = Fd(report[0]);
    Fd report_write(report[1]);
    Fd go_read(go[0]);
    child.go = Fd(go[1]);
    if (!piped) {
        return std::string(std::strerror(pipe_error));
    }
    // Everything the child needs, made before fork: after it, the child may only make async-signal-safe calls.
    std::vector<std::string> argv = command.argv;
    std::vector<std::string> environment = command.environment;
    ChildSetup setup{};
    for (auto& a : argv) {
        setup.argv.push_back(a.data());
    }
    setup.argv.push_back(nullptr);
    for (auto& e : environment) {
        setup.envp.push_back(e.data());
    }
    setup.envp.push_back(nullptr);
    setup.directory = command.directory.c_str();
    setup.output = output_write.get();
    setup.report = report_write.get();
    setup.go = go_read.get();
    setup.umask = command.umask;
    setup.descriptor_limit = command.descriptor_limit;
    setup.parent = ::getpid();
    child.pid = ::fork();
    if (child.pid == 0) {
        exec_child(setup);
    }
    if (child.pid < 0) {
        return std::string(std::strerror(errno));
    }
    ::setpgid(child.pid, child.pid); // also done by the child; whichever runs first wins
    return child;
}

ExitOutcome exit_outcome(int wait_status, const std::vector<int>& warning_exit_codes)
{
    if (WIFEXITED(wait_status)) {
        const int code = WEXITSTATUS(wait_status);
        const bool warning =
            std::find(warning_exit_codes.begin(), warning_exit_codes.end(), code) != warning_exit_codes.end();
        return {code == 0 ? domain::SessionStatus::Success
                : warning ? domain::SessionStatus::Warning
                          : domain::SessionStatus::Error,
                "Exited with code " + std::to_string(code) + "."};
    }
    if (WIFSIGNALED(wait_status)) {
        const int signal = WTERMSIG(wait_status);
        return {domain::SessionStatus::Error,
                "Killed by " + signal_name(signal) + " (" + std::to_string(signal) + ")."};
    }
    return {domain::SessionStatus::Error, "Ended in an unknown way."};
}

} // namespace jobsessions::runner
