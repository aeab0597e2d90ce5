// SPDX-License-Identifier: Apache-2.0
// Timestamps and durations: whatever parses prints, and what prints parses back to the same value.
#include "jobsessions/util/time.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto t = util::parse_timestamp(text)) {
        const auto printed = util::format_timestamp(*t);
        const auto again = util::parse_timestamp(printed);
        if (!again || *again != *t || printed.size() != 27) {
            std::abort();
        }
        (void)util::format_timestamp_7(*t);
    }
    if (const auto d = util::parse_timespan(text)) {
        const auto printed = util::format_timespan(*d);
        const auto again = util::parse_timespan(printed);
        if (!again || *again != *d) {
            std::abort();
        }
    }
    return 0;
}
