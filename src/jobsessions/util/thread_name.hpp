// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace jobsessions::util {

/// Names the calling thread, as `top -H`, `ps -L`, `perf` and /proc/<pid>/task/<tid>/comm show it; cut to the 15
/// bytes the kernel keeps.
void name_this_thread(std::string_view name);

/// Names the calling thread the first time it calls this, for the threads of a pool, which run no code of
/// ours when they start.
void name_this_thread_once(std::string_view name);

} // namespace jobsessions::util
