// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/thread_priority.hpp"

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
    return {};
}

} // namespace jobsessions::util
