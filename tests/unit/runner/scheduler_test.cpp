// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/scheduler.hpp"

#include <gtest/gtest.h>

namespace jobsessions::runner {
namespace {

util::Micros at(std::string_view iso)
{
    return util::parse_timestamp(iso).value();
}

domain::CronSchedule nightly()
{
    return std::get<domain::CronSchedule>(domain::CronSchedule::parse("0 2 * * *"));
}

TEST(PlanTick, NothingIsDueBeforeTheTick)
{
    const auto plan = plan_tick(nightly(), at("2026-03-01T02:00:00Z"), at("2026-03-02T01:59:59Z"), false);
    EXPECT_FALSE(plan.run);
    EXPECT_FALSE(plan.moved);
    EXPECT_EQ(plan.next, at("2026-03-02T02:00:00Z"));
}

TEST(PlanTick, ATickRunsAtItsTimeAndTheNextOneIsADayLater)
{
    const auto plan = plan_tick(nightly(), at("2026-03-01T02:00:00Z"), at("2026-03-02T02:00:00.001Z"), false);
    ASSERT_TRUE(plan.run);
    EXPECT_EQ(*plan.run, Trigger::Schedule);
    EXPECT_EQ(plan.tick, at("2026-03-02T02:00:00Z"));
    EXPECT_TRUE(plan.moved);
    EXPECT_EQ(plan.handled, at("2026-03-02T02:00:00Z"));
    EXPECT_EQ(plan.missed, 0);
    EXPECT_EQ(plan.next, at("2026-03-03T02:00:00Z"));
    // Once handled, the same tick does not run again.
    EXPECT_FALSE(plan_tick(nightly(), plan.handled, at("2026-03-02T02:00:05Z"), false).run);
}

TEST(PlanTick, TicksMissedWhileDownArePassedOverWithoutCatchUp)
{
    // Down from the 1st to the 4th at noon: three nightly ticks missed.
    const auto plan = plan_tick(nightly(), at("2026-03-01T02:00:00Z"), at("2026-03-04T12:00:00Z"), false);
    EXPECT_FALSE(plan.run);
    EXPECT_EQ(plan.missed, 3);
    EXPECT_EQ(plan.handled, at("2026-03-04T02:00:00Z"));
    EXPECT_EQ(plan.next, at("2026-03-05T02:00:00Z"));
}

TEST(PlanTick, WithCatchUpTheNewestMissedTickRunsOnce)
{
    const auto plan = plan_tick(nightly(), at("2026-03-01T02:00:00Z"), at("2026-03-04T12:00:00Z"), true);
    ASSERT_TRUE(plan.run);
    EXPECT_EQ(*plan.run, Trigger::CatchUp);
    EXPECT_EQ(plan.tick, at("2026-03-04T02:00:00Z"));
    EXPECT_EQ(plan.missed, 2);
    EXPECT_EQ(plan.handled, at("2026-03-04T02:00:00Z"));
}

TEST(PlanTick, ATickWithinTheToleranceIsOnTimeAndOneBeyondItIsMissed)
{
    const auto on_time = plan_tick(nightly(), at("2026-03-01T02:00:00Z"), at("2026-03-02T02:00:30Z"), false);
    ASSERT_TRUE(on_time.run);
    EXPECT_EQ(*on_time.run, Trigger::Schedule);
    const auto late = plan_tick(nightly(), at("2026-03-01T02:00:00Z"), at("2026-03-02T02:00:30.000001Z"), false);
    EXPECT_FALSE(late.run);
    EXPECT_EQ(late.missed, 1);
}

TEST(PlanTick, AMinuteScheduleDownForAWeekIsHandledAtOnce)
{
    const auto every_minute = std::get<domain::CronSchedule>(domain::CronSchedule::parse("* * * * *"));
    const auto plan = plan_tick(every_minute, at("2026-03-01T00:00:00Z"), at("2026-03-08T00:00:10Z"), true);
    ASSERT_TRUE(plan.run);
    EXPECT_EQ(*plan.run, Trigger::Schedule); // 00:00:00 on the 8th is within the tolerance
    EXPECT_EQ(plan.tick, at("2026-03-08T00:00:00Z"));
    EXPECT_EQ(plan.missed, 7 * 24 * 60 - 1);
    EXPECT_EQ(plan.next, at("2026-03-08T00:01:00Z"));
}

} // namespace
} // namespace jobsessions::runner
