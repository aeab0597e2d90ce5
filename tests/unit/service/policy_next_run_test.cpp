// SPDX-License-Identifier: Apache-2.0
// When a policy's schedule next starts a run, as its representation tells it.
#include "jobsessions/service/policy_service.hpp"

#include <gtest/gtest.h>

namespace jobsessions::service {
namespace {

util::Micros at(const char* text)
{
    return *util::parse_timestamp(text);
}

domain::Policy scheduled(std::string schedule, bool enabled = true)
{
    domain::Policy policy;
    policy.name = "p";
    policy.command = {"true"};
    policy.schedule = std::move(schedule);
    policy.enabled = enabled;
    return policy;
}

TEST(PolicyNextRun, TheScheduleNextMatchStrictlyAfterNowInItsTimeZone)
{
    const auto now = at("2026-12-04T12:00:00Z");
    EXPECT_EQ(PolicyService::next_run(scheduled("30 1 * * *"), now), at("2026-12-05T01:30:00Z"));
    EXPECT_EQ(PolicyService::next_run(scheduled("0 12 * * *"), now), at("2026-12-05T12:00:00Z"));
    // Berlin is an hour ahead of UTC in winter, two in summer.
    EXPECT_EQ(PolicyService::next_run(scheduled("CRON_TZ=Europe/Berlin 30 1 * * *"), now), at("2026-12-05T00:30:00Z"));
    EXPECT_EQ(PolicyService::next_run(scheduled("CRON_TZ=Europe/Berlin 30 1 * * *"), at("2026-07-01T12:00:00Z")),
              at("2026-07-01T23:30:00Z"));
}

TEST(PolicyNextRun, NoneWhenDisabledUnscheduledOrNeverMatching)
{
    const auto now = at("2026-12-04T12:00:00Z");
    EXPECT_FALSE(PolicyService::next_run(scheduled("30 1 * * *", false), now));
    EXPECT_FALSE(PolicyService::next_run(scheduled(""), now));
    EXPECT_FALSE(PolicyService::next_run(scheduled("0 0 30 2 *"), now)); // the 30th of February
}

} // namespace
} // namespace jobsessions::service
