// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/thread_name.hpp"

#include <pthread.h>

#include <cstddef>
#include <string>

namespace jobsessions::util {

void name_this_thread(std::string_view name)
{
    constexpr std::size_t kLongest = 15; // the kernel's TASK_COMM_LEN, less the terminating NUL
    const std::string cut(name.substr(0, kLongest));
    // Fails only for a name longer than the kernel keeps, which `cut` never is; a thread left unnamed is shown
    // with the process's name, which changes nothing else.
    (void)pthread_setname_np(pthread_self(), cut.c_str());
}

void name_this_thread_once(std::string_view name)
{
    thread_local bool named = false;
    if (!named) {
        name_this_thread(name);
        named = true;
    }
}

} // namespace jobsessions::util
