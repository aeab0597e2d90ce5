// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

namespace jobsessions::runner {

/// Kills the process groups of the runs when the server dies, however it dies (even by SIGKILL, when no code of
/// the server runs any more).
///
/// A small process forked before the server starts any thread. The server tells it, through a pipe that only
/// the server holds, which process groups its runs have; when the server is gone the pipe reads end-of-file and
/// the keeper kills every group still listed, then exits. `PR_SET_PDEATHSIG` reaches only a run's first process;
/// this reaches everything in its group. (A process that leaves the group, as `setsid` does, is out of reach:
/// it holds none of the server's descriptors, since every one is close-on-exec and a run's child closes the rest.)
class GroupKeeper {
public:
    /// Forks the keeper. Call while the process has a single thread. Throws std::runtime_error when it cannot.
    GroupKeeper();
    /// Closes the pipe: the keeper kills what is still listed and exits.
    ~GroupKeeper();
    GroupKeeper(const GroupKeeper&) = delete;
    GroupKeeper& operator=(const GroupKeeper&) = delete;

    /// Lists a run's process group. Thread-safe (one atomic pipe write).
    void watch(pid_t group) noexcept;
    /// Takes a group off the list once the run has ended and its group is killed. Thread-safe.
    void forget(pid_t group) noexcept;

private:
    int pipe_ = -1;
    pid_t keeper_ = -1;
};

} // namespace jobsessions::runner
