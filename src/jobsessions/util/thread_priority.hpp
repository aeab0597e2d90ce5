// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace jobsessions::util {

/// Gives the calling thread the lowest scheduling priority (nice 19 and `SCHED_IDLE`; on Linux a thread has a
/// nice value and a policy of its own), for background work that must yield the CPU to requests. Empty on success,
/// else what failed.
std::string lower_this_thread_priority();

} // namespace jobsessions::util
