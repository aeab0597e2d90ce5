// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/group_keeper.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <vector>

namespace jobsessions::runner {
namespace {

/// One message on the pipe: small enough to be written atomically by any thread (PIPE_BUF).
struct Message {
    std::int32_t watch; // 1: watch, 0: forget
    std::int32_t group;
};

[[noreturn]] void keep(int input)
{
    ::prctl(PR_SET_NAME, "jobsessiond-kpr");
    // Signals meant for the server's terminal or unit (Ctrl-C, SIGTERM to the group) must not end the keeper
    // before the server: the server ends its runs itself when it shuts down, and the keeper only after it.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    std::vector<pid_t> groups;
    Message message{};
    for (;;) {
        const auto n = ::read(input, &message, sizeof message);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n != static_cast<ssize_t>(sizeof message)) {
            break; // end of file: the server is gone
        }
        if (message.watch != 0) {
            groups.push_back(message.group);
        } else {
            std::erase(groups, message.group);
        }
    }
    for (const pid_t group : groups) {
        ::kill(-group, SIGKILL);
    }
    ::_exit(0);
}

} // namespace

GroupKeeper::GroupKeeper()
{
    std::array<int, 2> ends{-1, -1};
    if (::pipe2(ends.data(), O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("cannot make the run keeper's pipe: ") + std::strerror(errno));
    }
    keeper_ = ::fork();
    if (keeper_ < 0) {
        ::close(ends[0]);
        ::close(ends[1]);
        throw std::runtime_error(std::string("cannot start the run keeper: ") + std::strerror(errno));
    }
    if (keeper_ == 0) {
        // Keep only the pipe's reading end (as descriptor 3) and the standard descriptors.
        if (ends[0] != 3) {
            ::dup2(ends[0], 3);
        }
        ::close_range(4, ~0U, 0);
        keep(3);
    }
    ::close(ends[0]);
    pipe_ = ends[1];
}

GroupKeeper::~GroupKeeper()
{
    ::close(pipe_);
    int status = 0;
    while (::waitpid(keeper_, &status, 0) < 0 && errno == EINTR) {
    }
}

void GroupKeeper::watch(pid_t group) noexcept
{
    const Message message{1, group};
    // A keeper that is gone cannot be helped; the next start kills what the runs left, from the store.
    (void)!::write(pipe_, &message, sizeof message);
}

void GroupKeeper::forget(pid_t group) noexcept
{
    const Message message{0, group};
    (void)!::write(pipe_, &message, sizeof message);
}

} // namespace jobsessions::runner
