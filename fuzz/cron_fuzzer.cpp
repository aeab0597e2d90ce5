// SPDX-License-Identifier: Apache-2.0
// Cron schedules: any text parses or says why not, and a parsed schedule's next runs come strictly later.
#include "jobsessions/domain/cron.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = domain::CronSchedule::parse(text);
    const auto* schedule = std::get_if<domain::CronSchedule>(&parsed);
    if (schedule == nullptr) {
        if (std::get<std::string>(parsed).empty()) {
            std::abort(); // a refusal always says why
        }
        return 0;
    }
    util::Micros at = 1'795'000'000LL * util::kMicrosPerSecond; // late 2026
    for (int i = 0; i < 3; ++i) {
        const auto next = schedule->next_after(at);
        if (!next) {
            break;
        }
        if (*next <= at) {
            std::abort();
        }
        at = *next;
    }
    return 0;
}
