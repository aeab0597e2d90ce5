// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/thread_priority.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sys/resource.h>

namespace jobsessions::util {

std::string lower_this_thread_priority()
{
    constexpr int kLowest = 19;
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kLowest) != 0) {
        return std::string("setpriority: ") + std::strerror(errno);
    }
    // SCHED_IDLE on top: a thread at nice 19 that has the CPU keeps it for the rest of its slice (about a
    // millisecond) when a request's thread wakes; one under SCHED_IDLE gives it up at once.
    const sched_param none{};
    if (sched_setscheduler(0, SCHED_IDLE, &none) != 0) {
        return std::string("sched_setscheduler: ") + std::strerror(errno);
    }
    return {};
}

} // namespace jobsessions::util
