// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::util {

/// ASCII case-insensitive equality (HTTP field names, query parameter names, enum values). Not Beast's iequals:
/// in Boost 1.81 it reads a byte past the end of its arguments when they differ only in case (found by fuzzing).
inline bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        // Bytes that differ are equal only as the two cases of one ASCII letter.
        const unsigned lower = x | 0x20U;
        if (x != y && (lower != (y | 0x20U) || lower < 'a' || lower > 'z')) {
            return false;
        }
    }
    return true;
}

/// Removes spaces and horizontal tabs at both ends.
inline std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// The items of a comma-separated list, trimmed, empty ones dropped (`a, b,,c` → a, b, c). The views point into
/// `text`.
inline std::vector<std::string_view> split_list(std::string_view text)
{
    std::vector<std::string_view> items;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        if (!item.empty()) {
            items.push_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return items;
}

/// Parses a whole string as a decimal signed 64-bit integer; no sign other than '-', no spaces.
inline std::optional<std::int64_t> parse_int64(std::string_view s) noexcept
{
    std::int64_t value = 0;
    const auto* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (s.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

/// Appends the decimal form of an integer.
/// How many characters append_int writes for `value`.
inline int decimal_digits(std::int64_t value) noexcept
{
    // The magnitude as unsigned: -INT64_MIN does not fit an int64.
    const std::uint64_t magnitude =
        value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    int digits = 1;
    for (std::uint64_t power = 10; digits < 20 && magnitude >= power; power *= 10) { // 10^19 < 2^64
        ++digits;
    }
    return value < 0 ? digits + 1 : digits;
}

inline void append_int(std::string& out, std::int64_t value)
{
    char buf[24];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;                                             // 24 bytes always hold an int64
    out.append(buf, static_cast<std::size_t>(ptr - buf)); // (pointer, size): the iterator pair would copy twice
}

} // namespace jobsessions::util
