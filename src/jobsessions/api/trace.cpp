// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/trace.hpp"

#include <random>

namespace jobsessions::api {
namespace {

bool is_lower_hex(std::string_view s)
{
    for (const char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

void fill_random_hex(char* out, std::size_t count)
{
    // Trace ids need to be unique, not secret: a per-thread generator seeded once is enough.
    thread_local std::mt19937_64 generator{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (i % 16 == 0) {
            bits = generator();
        }
        out[i] = kHex[bits & 0xf];
        bits >>= 4;
    }
}

} // namespace

TraceId TraceId::make(std::string_view traceparent)
{
    TraceId id;
    char* out = id.text_.data();
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    const bool valid_parent = traceparent.size() >= 55 && traceparent.substr(0, 3) == "00-" && traceparent[35] == '-' &&
                              is_lower_hex(traceparent.substr(3, 32)) &&
                              traceparent.substr(3, 32) != "00000000000000000000000000000000";
    if (valid_parent) {
        traceparent.copy(out + 3, 32, 3);
    } else {
        fill_random_hex(out + 3, 32);
    }
    out[35] = '-';
    fill_random_hex(out + 36, 16);
    out[52] = '-';
    out[53] = '0';
    out[54] = '0';
    return id;
}

} // namespace jobsessions::api
