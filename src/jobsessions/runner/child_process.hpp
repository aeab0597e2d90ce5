// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"

#include <boost/system/result.hpp>

#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace jobsessions::runner {

/// A file descriptor closed when it goes.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept
        : fd_(fd)
    {
    }
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept
        : fd_(std::exchange(other.fd_, -1))
    {
    }
    Fd& operator=(Fd&& other) noexcept
    {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset() noexcept
    {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

/// What the child reports through its exec pipe when it cannot start the command.
struct ExecFailure {
    int stage; // 0: chdir, 1: exec
    int error;
};

/// Everything the child needs, prepared before fork (the child may only make async-signal-safe calls).
struct ChildSetup {
    std::vector<char*> argv;
    std::vector<char*> envp;
    const char* directory;
    int output;
    int report;
    /// Reads one byte once the run is recorded; end of file: the run is not to start.
    int go;
    mode_t umask;
    rlim_t descriptor_limit;
    pid_t parent;
};

/// What a command needs to start.
struct ChildCommand {
    /// The program and its arguments.
    std::vector<std::string> argv;
    /// Its whole environment, as NAME=value.
    std::vector<std::string> environment;
    std::string directory;
    mode_t umask = 022;
    rlim_t descriptor_limit = RLIM_INFINITY;
};

/// A child started for a command: its own process group, waiting to run the command until it is released (so that
/// the run is recorded first). Its output (stdout and stderr) is one pipe.
struct Child {
    pid_t pid = -1;
    /// The read end of the command's output.
    Fd output;
    /// Where the child reports that it could not run the command; closed by exec.
    Fd report;
    /// Released with one byte; closed without it, the child exits before running anything.
    Fd go;

    /// Lets the child run the command; false when it cannot be told (it has died).
    bool release();
    /// After release: why the child could not run the command (waits until it ran it or failed); none once it ran.
    std::optional<ExecFailure> exec_failure();
};

/// Starts children for commands. The server's forks them; a test may replace it.
class ProcessLauncher {
public:
    virtual ~ProcessLauncher() = default;
    ProcessLauncher() = default;
    ProcessLauncher(const ProcessLauncher&) = delete;
    ProcessLauncher& operator=(const ProcessLauncher&) = delete;
    /// A child waiting to run `command`, or why none could be started.
    virtual boost::system::result<Child, std::string> launch(const ChildCommand& command) = 0;
};

/// Forks each child, which then waits for its release and executes the command (exec_child).
class ForkLauncher final : public ProcessLauncher {
public:
    boost::system::result<Child, std::string> launch(const ChildCommand& command) override;
};

/// Runs in the forked child: waits for the go byte, sets the process up (own group, death signal, umask, limits,
/// standard descriptors, nothing else of the server) and executes the command; reports on `report` and exits 127
/// when it cannot.
[[noreturn]] void exec_child(const ChildSetup& s);

/// The child's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or 0.
std::int64_t process_start_ticks(pid_t pid);

/// How a run's command ended, as its session says it.
struct ExitOutcome {
    domain::SessionStatus status = domain::SessionStatus::Error;
    std::string message;
};

/// The outcome of a command from its wait status: exit code 0 is Success, one of `warning_exit_codes` Warning,
/// any other code or a signal Error.
ExitOutcome exit_outcome(int wait_status, const std::vector<int>& warning_exit_codes);

} // namespace jobsessions::runner
