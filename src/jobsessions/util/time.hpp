// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::util {

/// Microseconds since the Unix epoch, UTC. Every point in time in jobsessions is one of these.
using Micros = std::int64_t;

inline constexpr Micros kMicrosPerSecond = 1'000'000;
inline constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr Micros kMicrosPerDay = 24 * kMicrosPerHour;

/// Floor division: a time before 1970 falls in the day (hour, minute) it lies in, not the one after.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

/// Ceiling division, its counterpart: the first whole day (hour, minute) at or after a time.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b)
{
    return -floor_div(-a, b);
}

/// The current time, from the system clock.
Micros now_micros() noexcept;

/// Appends an API timestamp: UTC, exactly six fractional digits, `Z` (`2020-02-05T11:07:10.002679Z`).
void append_timestamp(std::string& out, Micros t);

/// The most characters put_timestamp and put_timespan write.
inline constexpr std::size_t kMaxTimestampChars = 28;
inline constexpr std::size_t kMaxTimespanChars = 40;

/// Writes an API timestamp (see append_timestamp) at `out`; returns the end of what it wrote.
char* put_timestamp(char* out, Micros t);

/// Returns an API timestamp (see append_timestamp).
std::string format_timestamp(Micros t);

/// Returns a timestamp with seven fractional digits, as the token endpoint's `.issued` and `.expires` use.
std::string format_timestamp_7(Micros t);

/// The first and last instants a timestamp can say: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
inline constexpr Micros kEarliestTimestamp = -62'135'596'800LL * kMicrosPerSecond;
inline constexpr Micros kLatestTimestamp = 253'402'300'799LL * kMicrosPerSecond + 999'999;

/// Parses ISO-8601 input: a date alone (midnight UTC), or date and time with an optional fraction of up to
/// seven digits (kept to the microsecond) and an optional offset (`Z`, `+hh:mm`, `+hhmm`, `+hh`; none = UTC).
/// Instants outside years 1 to 9999 in UTC are refused.
std::optional<Micros> parse_timestamp(std::string_view text) noexcept;

/// Appends a duration in .NET TimeSpan "c" form with seven fractional digits: `00:02:47.7726740`, and a day
/// prefix from 24 hours on: `1.02:03:04.5000000`. Negative durations get a leading `-`.
void append_timespan(std::string& out, Micros duration);

/// Writes a duration (see append_timespan) at `out`; returns the end of what it wrote.
char* put_timespan(char* out, Micros duration);

/// Returns a duration in .NET TimeSpan "c" form (see append_timespan).
std::string format_timespan(Micros duration);

/// Parses a TimeSpan: `[-][d.]hh:mm:ss[.fffffff]` (hours below 24 when days are given).
std::optional<Micros> parse_timespan(std::string_view text) noexcept;

} // namespace jobsessions::util
