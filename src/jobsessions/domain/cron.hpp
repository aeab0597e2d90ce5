// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/util/time.hpp"

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace date {
class time_zone;
}

namespace jobsessions::domain {

/// A 5-field cron schedule (minute hour day-of-month month day-of-week) in an IANA time zone.
///
/// Text: `[CRON_TZ=Zone ]fields`, where the zone defaults to UTC and the fields take `*`, numbers, ranges
/// (`1-5`), steps (`*/15`, `0-30/10`, `5/20`), lists (`1,15`), month names (`jan`) and day names (`mon`, with 0
/// and 7 both Sunday); `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly` and `@yearly` (`@annually`) stand
/// for their usual fields. When neither day field starts with `*`, a day matching either runs; otherwise both
/// must match (as in cron).
///
/// Times are wall-clock times in the zone. A time skipped by a daylight-saving change runs once, at the end of
/// the gap; a time that occurs twice runs once, at its first occurrence.
class CronSchedule {
public:
    /// Parses `text`; on failure, a sentence saying what is wrong.
    static std::variant<CronSchedule, std::string> parse(std::string_view text);

    /// The first run strictly after `after`, or none when the fields match no day in the next eight years.
    [[nodiscard]] std::optional<util::Micros> next_after(util::Micros after) const;

    /// The zone's name, as written (UTC when none was).
    [[nodiscard]] const std::string& zone_name() const noexcept { return zone_name_; }

private:
    CronSchedule() = default;
    [[nodiscard]] bool day_matches(int day_of_month, int month, int day_of_week) const;

    std::bitset<60> minutes_;
    std::bitset<24> hours_;
    std::bitset<32> days_of_month_; // 1..31
    std::bitset<13> months_;        // 1..12
    std::bitset<7> days_of_week_;   // 0 = Sunday
    bool day_of_month_restricted_ = false;
    bool day_of_week_restricted_ = false;
    const date::time_zone* zone_ = nullptr;
    std::string zone_name_ = "UTC";
};

} // namespace jobsessions::domain
