// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/time.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstring>

namespace jobsessions::util {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

// "00" to "99" one after the other: a field of two digits is one lookup, not a division per digit. A page of log
// entries writes sixty timestamps and durations.
constexpr auto kDigitPairs = [] {
    std::array<char, 200> pairs{};
    for (std::size_t i = 0; i < 100; ++i) {
        pairs.at(2 * i) = static_cast<char>('0' + i / 10);
        pairs.at(2 * i + 1) = static_cast<char>('0' + i % 10);
    }
    return pairs;
}();

// Writes `value` (below 100) as two digits at `out`.
void put_pair(char* out, std::uint32_t value)
{
    std::memcpy(out, &kDigitPairs.at(std::size_t{value} * 2), 2);
}

// HH:mm:ss.ffffff (15 characters) at `out`, for `in_day` microseconds into a day; returns its end.
char* put_time_of_day(char* out, Micros in_day)
{
    const auto seconds = static_cast<std::uint32_t>(in_day / kMicrosPerSecond); // below 86,400
    const auto micros = static_cast<std::uint32_t>(in_day % kMicrosPerSecond);
    put_pair(out, seconds / 3600);
    out[2] = ':';
    put_pair(out + 3, seconds / 60 % 60);
    out[5] = ':';
    put_pair(out + 6, seconds % 60);
    out[8] = '.';
    put_pair(out + 9, micros / 10'000);
    put_pair(out + 11, micros / 100 % 100);
    put_pair(out + 13, micros % 100);
    return out + 15;
}

// yyyy-MM-ddTHH:mm:ss.ffffff (26 characters) at `out`; returns its end.
char* put_date_time(char* out, Micros t)
{
    const std::int64_t day_number = floor_div(t, kMicrosPerDay);
    const std::chrono::year_month_day ymd{sys_days{days{day_number}}};
    // Years outside 1..9999 do not come in (parse_timestamp refuses them); kept in range all the same.
    const auto year = static_cast<std::uint32_t>(static_cast<int>(ymd.year())) % 10'000;
    put_pair(out, year / 100);
    put_pair(out + 2, year % 100);
    out[4] = '-';
    put_pair(out + 5, static_cast<unsigned>(ymd.month()));
    out[7] = '-';
    put_pair(out + 8, static_cast<unsigned>(ymd.day()));
    out[10] = 'T';
    return put_time_of_day(out + 11, t - day_number * kMicrosPerDay);
}

// A small cursor over the input; each reader consumes exactly what it accepts.
struct Cursor {
    std::string_view s;
    std::size_t pos = 0;

    [[nodiscard]] bool done() const noexcept { return pos == s.size(); }
    [[nodiscard]] char peek() const noexcept { return done() ? '\0' : s[pos]; }
    bool eat(char c) noexcept
    {
        if (peek() == c) {
            ++pos;
            return true;
        }
        return false;
    }
    // Reads exactly n digits.
    std::optional<int> digits(int n) noexcept
    {
        int value = 0;
        for (int i = 0; i < n; ++i) {
            const char c = peek();
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            value = value * 10 + (c - '0');
            ++pos;
        }
        return value;
    }
    // Reads 1..max_digits digits as a fraction of a second, in microseconds (digits past the sixth are dropped).
    std::optional<Micros> fraction(int max_digits) noexcept
    {
        Micros micros = 0;
        int count = 0;
        while (peek() >= '0' && peek() <= '9') {
            if (++count > max_digits) {
                return std::nullopt;
            }
            if (count <= 6) {
                micros = micros * 10 + (peek() - '0');
            }
            ++pos;
        }
        if (count == 0) {
            return std::nullopt;
        }
        for (int i = count; i < 6; ++i) {
            micros *= 10;
        }
        return micros;
    }
};

} // namespace

Micros now_micros() noexcept
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

char* put_timestamp(char* out, Micros t)
{
    out = put_date_time(out, t);
    *out++ = 'Z';
    return out;
}

void append_timestamp(std::string& out, Micros t)
{
    char text[kMaxTimestampChars];
    out.append(text, put_timestamp(text, t));
}

std::string format_timestamp(Micros t)
{
    std::string out;
    out.reserve(28);
    append_timestamp(out, t);
    return out;
}

std::string format_timestamp_7(Micros t)
{
    char text[kMaxTimestampChars + 1];
    char* end = put_date_time(text, t);
    *end++ = '0';
    *end++ = 'Z';
    return std::string(text, end);
}

std::optional<Micros> parse_timestamp(std::string_view text) noexcept
{
    Cursor in{text};
    const auto year = in.digits(4);
    if (!year || !in.eat('-')) {
        return std::nullopt;
    }
    const auto month = in.digits(2);
    if (!month || !in.eat('-')) {
        return std::nullopt;
    }
    const auto day = in.digits(2);
    if (!day || *year < 1) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                          std::chrono::day{static_cast<unsigned>(*day)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const Micros midnight = sys_days{ymd}.time_since_epoch().count() * kMicrosPerDay;
    if (in.done()) {
        return midnight;
    }
    if (!in.eat('T') && !in.eat('t') && !in.eat(' ')) {
        return std::nullopt;
    }
    const auto hour = in.digits(2);
    if (!hour || *hour > 23 || !in.eat(':')) {
        return std::nullopt;
    }
    const auto minute = in.digits(2);
    if (!minute || *minute > 59) {
        return std::nullopt;
    }
    int second = 0;
    Micros fraction = 0;
    if (in.eat(':')) {
        const auto s = in.digits(2);
        if (!s || *s > 59) {
            return std::nullopt;
        }
        second = *s;
        if (in.eat('.') || in.eat(',')) {
            const auto f = in.fraction(7);
            if (!f) {
                return std::nullopt;
            }
            fraction = *f;
        }
    }
    Micros offset = 0;
    if (in.eat('Z') || in.eat('z')) {
        // UTC
    } else if (in.peek() == '+' || in.peek() == '-') {
        const bool negative = in.peek() == '-';
        ++in.pos;
        const auto oh = in.digits(2);
        if (!oh || *oh > 23) {
            return std::nullopt;
        }
        int om = 0;
        if (!in.done()) {
            in.eat(':');
            const auto m = in.digits(2);
            if (!m || *m > 59) {
                return std::nullopt;
            }
            om = *m;
        }
        offset = (*oh * kMicrosPerHour + om * kMicrosPerMinute) * (negative ? -1 : 1);
    }
    if (!in.done()) {
        return std::nullopt;
    }
    const Micros t =
        midnight + *hour * kMicrosPerHour + *minute * kMicrosPerMinute + second * kMicrosPerSecond + fraction - offset;
    // An offset can carry a time written in year 1 or 9999 out of the years a timestamp prints (in UTC).
    if (t < kEarliestTimestamp || t > kLatestTimestamp) {
        return std::nullopt;
    }
    return t;
}

char* put_timespan(char* out, Micros duration)
{
    if (duration < 0) {
        *out++ = '-';
        duration = -duration;
    }
    const Micros whole_days = duration / kMicrosPerDay;
    if (whole_days > 0) {
        out = std::to_chars(out, out + 20, whole_days).ptr;
        *out++ = '.';
    }
    out = put_time_of_day(out, duration % kMicrosPerDay);
    // Seven digits: .NET counts 100 ns ticks; we keep microseconds, so the last digit is always 0.
    *out++ = '0';
    return out;
}

void append_timespan(std::string& out, Micros duration)
{
    char text[kMaxTimespanChars];
    out.append(text, put_timespan(text, duration));
}

std::string format_timespan(Micros duration)
{
    std::string out;
    out.reserve(24);
    append_timespan(out, duration);
    return out;
}

std::optional<Micros> parse_timespan(std::string_view text) noexcept
{
    Cursor in{text};
    const bool negative = in.eat('-');
    // Either "d.hh:mm:ss" or "hh:mm:ss": read the leading number, then look at what follows it.
    Micros lead = 0;
    int lead_digits = 0;
    while (in.peek() >= '0' && in.peek() <= '9') {
        if (++lead_digits > 8) {
            return std::nullopt;
        }
        lead = lead * 10 + (in.peek() - '0');
        ++in.pos;
    }
    if (lead_digits == 0) {
        return std::nullopt;
    }
    Micros days_part = 0;
    Micros hours = lead;
    if (in.eat('.')) {
        days_part = lead;
        const auto h = in.digits(2);
        if (!h) {
            return std::nullopt;
        }
        hours = *h;
    } else if (lead_digits > 2) {
        return std::nullopt;
    }
    if (hours > 23 || !in.eat(':')) {
        return std::nullopt;
    }
    const auto minutes = in.digits(2);
    if (!minutes || *minutes > 59 || !in.eat(':')) {
        return std::nullopt;
    }
    const auto seconds = in.digits(2);
    if (!seconds || *seconds > 59) {
        return std::nullopt;
    }
    Micros fraction = 0;
    if (in.eat('.')) {
        const auto f = in.fraction(7);
        if (!f) {
            return std::nullopt;
        }
        fraction = *f;
    }
    if (!in.done()) {
        return std::nullopt;
    }
    const Micros total = days_part * kMicrosPerDay + hours * kMicrosPerHour + *minutes * kMicrosPerMinute +
                         *seconds * kMicrosPerSecond + fraction;
    return negative ? -total : total;
}

} // namespace jobsessions::util
