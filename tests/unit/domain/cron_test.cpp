// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/cron.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace jobsessions::domain {
namespace {

CronSchedule schedule(std::string_view text)
{
    auto parsed = CronSchedule::parse(text);
    if (const auto* error = std::get_if<std::string>(&parsed)) {
        ADD_FAILURE() << text << ": " << *error;
    }
    return std::get<CronSchedule>(std::move(parsed));
}

std::string error_of(std::string_view text)
{
    auto parsed = CronSchedule::parse(text);
    const auto* error = std::get_if<std::string>(&parsed);
    return error != nullptr ? *error : "(accepted)";
}

util::Micros at(std::string_view iso)
{
    const auto t = util::parse_timestamp(iso);
    EXPECT_TRUE(t) << iso;
    return t.value_or(0);
}

// The next `count` runs after `from`, as UTC timestamps with whole seconds.
std::vector<std::string> runs(std::string_view text, std::string_view from, int count)
{
    const auto s = schedule(text);
    std::vector<std::string> out;
    util::Micros t = at(from);
    for (int i = 0; i < count; ++i) {
        const auto next = s.next_after(t);
        if (!next) {
            out.emplace_back("none");
            break;
        }
        auto text_time = util::format_timestamp(*next);
        out.push_back(text_time.substr(0, 19) + "Z");
        t = *next;
    }
    return out;
}

using Runs = std::vector<std::string>;

TEST(Cron, EveryMinuteRunsOnTheNextWholeMinute)
{
    EXPECT_EQ(runs("* * * * *", "2026-03-01T10:00:30.5Z", 2), (Runs{"2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"}));
    // Strictly after: a run exactly at the start is not repeated.
    EXPECT_EQ(runs("* * * * *", "2026-03-01T10:01:00Z", 1), (Runs{"2026-03-01T10:02:00Z"}));
}

TEST(Cron, SingleValuesListsRangesAndSteps)
{
    EXPECT_EQ(runs("30 2 * * *", "2026-03-01T03:00:00Z", 2), (Runs{"2026-03-02T02:30:00Z", "2026-03-03T02:30:00Z"}));
    EXPECT_EQ(runs("0,15,45 9 * * *", "2026-03-01T09:10:00Z", 3),
              (Runs{"2026-03-01T09:15:00Z", "2026-03-01T09:45:00Z", "2026-03-02T09:00:00Z"}));
    EXPECT_EQ(runs("0 22-23 * * *", "2026-03-01T22:30:00Z", 2), (Runs{"2026-03-01T23:00:00Z", "2026-03-02T22:00:00Z"}));
    EXPECT_EQ(runs("*/20 * * * *", "2026-03-01T10:05:00Z", 3),
              (Runs{"2026-03-01T10:20:00Z", "2026-03-01T10:40:00Z", "2026-03-01T11:00:00Z"}));
    EXPECT_EQ(runs("10-30/10 8 * * *", "2026-03-01T08:00:00Z", 4),
              (Runs{"2026-03-01T08:10:00Z", "2026-03-01T08:20:00Z", "2026-03-01T08:30:00Z", "2026-03-02T08:10:00Z"}));
    // "5/20": from 5 to the end of the field, every 20.
    EXPECT_EQ(runs("5/20 8 * * *", "2026-03-01T08:00:00Z", 4),
              (Runs{"2026-03-01T08:05:00Z", "2026-03-01T08:25:00Z", "2026-03-01T08:45:00Z", "2026-03-02T08:05:00Z"}));
}

TEST(Cron, MonthAndDayNamesInAnyCase)
{
    // 2026-03-02 is a Monday.
    EXPECT_EQ(runs("0 6 * * mon-FRI", "2026-03-06T07:00:00Z", 2),
              (Runs{"2026-03-09T06:00:00Z", "2026-03-10T06:00:00Z"}));
    EXPECT_EQ(runs("0 0 1 jan,Jul *", "2026-03-01T00:00:00Z", 2),
              (Runs{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
    // 0 and 7 are both Sunday.
    EXPECT_EQ(runs("0 12 * * 7", "2026-03-02T00:00:00Z", 1), (Runs{"2026-03-08T12:00:00Z"}));
    EXPECT_EQ(runs("0 12 * * 0", "2026-03-02T00:00:00Z", 1), (Runs{"2026-03-08T12:00:00Z"}));
}

TEST(Cron, BothDayFieldsRestrictedMatchEither)
{
    // The 13th, or any Friday: 2026-03-06 is a Friday, then the 13th (also a Friday), then the 20th.
    EXPECT_EQ(runs("0 0 13 * fri", "2026-03-01T00:00:00Z", 3),
              (Runs{"2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z"}));
    // A day-of-week starting with '*' is not "either": both must match, as in cron. The first 13th on a
    // Sunday, Tuesday, Thursday or Saturday is Saturday 2026-06-13.
    EXPECT_EQ(runs("0 0 13 * */2", "2026-03-01T00:00:00Z", 1), (Runs{"2026-06-13T00:00:00Z"}));
}

TEST(Cron, MacrosStandForTheirFields)
{
    EXPECT_EQ(runs("@hourly", "2026-03-01T10:05:00Z", 1), (Runs{"2026-03-01T11:00:00Z"}));
    EXPECT_EQ(runs("@daily", "2026-03-01T10:05:00Z", 1), (Runs{"2026-03-02T00:00:00Z"}));
    EXPECT_EQ(runs("@midnight", "2026-03-01T10:05:00Z", 1), (Runs{"2026-03-02T00:00:00Z"}));
    EXPECT_EQ(runs("@weekly", "2026-03-02T10:05:00Z", 1), (Runs{"2026-03-08T00:00:00Z"}));
    EXPECT_EQ(runs("@monthly", "2026-03-02T10:05:00Z", 1), (Runs{"2026-04-01T00:00:00Z"}));
    EXPECT_EQ(runs("@yearly", "2026-03-02T10:05:00Z", 1), (Runs{"2027-01-01T00:00:00Z"}));
}

TEST(Cron, TheTwentyNinthOfFebruaryComesEveryFourYears)
{
    EXPECT_EQ(runs("0 0 29 2 *", "2026-03-01T00:00:00Z", 2), (Runs{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}));
    // The 31st skips the months without one.
    EXPECT_EQ(runs("0 0 31 * *", "2026-03-31T12:00:00Z", 2), (Runs{"2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"}));
}

TEST(Cron, WallClockTimesInAZone)
{
    // Berlin is UTC+1 in winter and UTC+2 in summer.
    EXPECT_EQ(runs("CRON_TZ=Europe/Berlin 0 2 * * *", "2026-01-10T00:00:00Z", 1), (Runs{"2026-01-10T01:00:00Z"}));
    EXPECT_EQ(runs("TZ=Europe/Berlin 0 2 * * *", "2026-07-09T23:00:00Z", 1), (Runs{"2026-07-10T00:00:00Z"}));
    EXPECT_EQ(runs("CRON_TZ=America/New_York 30 23 * * *", "2026-07-10T12:00:00Z", 1), (Runs{"2026-07-11T03:30:00Z"}));
    EXPECT_EQ(runs("CRON_TZ=UTC 0 2 * * *", "2026-07-10T00:00:00Z", 1), (Runs{"2026-07-10T02:00:00Z"}));
}

TEST(Cron, ATimeInTheSpringGapRunsOnceAtTheGapsEnd)
{
    // Berlin, 2026-03-29: 02:00 local does not exist; clocks go from 02:00 CET (01:00Z) to 03:00 CEST.
    EXPECT_EQ(runs("CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-28T12:00:00Z", 3),
              (Runs{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}));
    // Every quarter hour: the four times of the gap collapse into one run at its end, then 03:15 CEST.
    EXPECT_EQ(runs("CRON_TZ=Europe/Berlin */15 * * * *", "2026-03-29T00:40:00Z", 4),
              (Runs{"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(Cron, ATimeInTheAutumnOverlapRunsOnce)
{
    // Berlin, 2026-10-25: 02:00-03:00 local happens twice (first CEST = 00:00Z-01:00Z, then CET = 01:00Z-02:00Z).
    EXPECT_EQ(runs("CRON_TZ=Europe/Berlin 30 2 * * *", "2026-10-24T12:00:00Z", 2),
              (Runs{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
    // Hourly: 02:00 local runs at its first occurrence, and the repeated hour is not run again.
    EXPECT_EQ(runs("CRON_TZ=Europe/Berlin 0 * * * *", "2026-10-24T23:30:00Z", 3),
              (Runs{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}));
}

TEST(Cron, RejectsWhatIsWrongWithAClearSentence)
{
    EXPECT_EQ(error_of("* * * *"), "a schedule has five fields: minute hour day-of-month month day-of-week");
    EXPECT_EQ(error_of("* * * * * *"), "a schedule has five fields: minute hour day-of-month month day-of-week");
    EXPECT_EQ(error_of(""), "a schedule has five fields: minute hour day-of-month month day-of-week");
    EXPECT_EQ(error_of("60 * * * *"), "the minute field '60' is outside 0-59");
    EXPECT_EQ(error_of("* 24 * * *"), "the hour field '24' is outside 0-23");
    EXPECT_EQ(error_of("* * 0 * *"), "the day of month field '0' is outside 1-31");
    EXPECT_EQ(error_of("* * * 13 *"), "the month field '13' is outside 1-12");
    EXPECT_EQ(error_of("* * * * 8"), "the day of week field '8' is outside 0-7");
    EXPECT_EQ(error_of("5-1 * * * *"), "the minute field '5-1' has a range that runs backwards");
    EXPECT_EQ(error_of("*/0 * * * *"), "the minute field '*/0' has a step that is not a positive number");
    EXPECT_EQ(error_of("*/x * * * *"), "the minute field '*/x' has a step that is not a positive number");
    EXPECT_EQ(error_of("1,,2 * * * *"), "the minute field '1,,2' has an empty list item");
    EXPECT_EQ(error_of("* * * foo *"), "the month field 'foo' has 'foo', which is not a month");
    EXPECT_EQ(error_of("* * * * mon-xyz"), "the day of week field 'mon-xyz' has 'xyz', which is not a day of week");
    EXPECT_EQ(error_of("0 0 30 2 *"), "the day of month and month fields name no day that exists");
    EXPECT_EQ(error_of("@often"), "'@often' is not one of @hourly, @daily, @weekly, @monthly, @yearly");
    EXPECT_EQ(error_of("CRON_TZ=Mars/Olympus 0 0 * * *"),
              "'Mars/Olympus' is not a time zone (an IANA name such as Europe/Berlin)");
}

TEST(Cron, KeepsTheZoneName)
{
    EXPECT_EQ(schedule("CRON_TZ=Europe/Berlin 0 0 * * *").zone_name(), "Europe/Berlin");
    EXPECT_EQ(schedule("0 0 * * *").zone_name(), "UTC");
}

} // namespace
} // namespace jobsessions::domain
