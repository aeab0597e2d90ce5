// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/session_rules.hpp"

#include <gtest/gtest.h>

namespace jobsessions::domain {
namespace {

constexpr util::Micros kStart = 1'000'000'000;
constexpr util::Micros kNow = 2'000'000'000;

JobSession running()
{
    JobSession s;
    s.id = 1;
    s.status = SessionStatus::Running;
    s.start_time = kStart;
    return s;
}

TEST(SessionRules, FinalStatusWithoutStopTimeStopsNow)
{
    auto s = running();
    SessionChange c;
    c.status = SessionStatus::Success;
    const auto outcome = apply_change(s, c, kNow);
    EXPECT_TRUE(outcome.changed);
    EXPECT_FALSE(outcome.refusal);
    EXPECT_EQ(s.status, SessionStatus::Success);
    EXPECT_EQ(s.stop_time, kNow);
}

TEST(SessionRules, FinalSessionRefusesEveryChange)
{
    auto s = running();
    s.status = SessionStatus::Error;
    s.stop_time = kNow;
    SessionChange c;
    c.status = SessionStatus::Running;
    EXPECT_EQ(apply_change(s, c, kNow).refusal, ChangeRefusal::AlreadyFinal);
    EXPECT_EQ(s.status, SessionStatus::Error);
}

TEST(SessionRules, CancelingStaysUntilTheAgentReportsAFinalStatus)
{
    auto s = running();
    s.status = SessionStatus::Canceling;
    SessionChange progress;
    progress.status = SessionStatus::RunningWithWarning;
    EXPECT_FALSE(apply_change(s, progress, kNow).changed);
    EXPECT_EQ(s.status, SessionStatus::Canceling);
    SessionChange done;
    done.status = SessionStatus::Canceled;
    EXPECT_TRUE(apply_change(s, done, kNow).changed);
    EXPECT_EQ(s.status, SessionStatus::Canceled);
}

TEST(SessionRules, StopBeforeStartAndStopWithoutEndAreRefusedAndChangeNothing)
{
    auto s = running();
    SessionChange early;
    early.status = SessionStatus::Success;
    early.stop_time = kStart - 1;
    EXPECT_EQ(apply_change(s, early, kNow).refusal, ChangeRefusal::StopBeforeStart);
    SessionChange no_end;
    no_end.stop_time = kNow;
    EXPECT_EQ(apply_change(s, no_end, kNow).refusal, ChangeRefusal::StopTimeWithoutFinalStatus);
    EXPECT_EQ(s, running());
}

TEST(SessionRules, UnchangedSessionReportsNoChange)
{
    auto s = running();
    SessionChange same;
    same.status = SessionStatus::Running;
    EXPECT_FALSE(apply_change(s, same, kNow).changed);
}

TEST(SessionStatus, TheLastFiveAreFinal)
{
    EXPECT_FALSE(is_final(SessionStatus::Pending));
    EXPECT_FALSE(is_final(SessionStatus::Canceling));
    EXPECT_TRUE(is_final(SessionStatus::Success));
    EXPECT_TRUE(is_final(SessionStatus::NeverExecuted));
    EXPECT_EQ(parse_session_status("runningwithwarning"), SessionStatus::RunningWithWarning);
    EXPECT_FALSE(parse_session_status("Failed"));
    EXPECT_EQ(parse_session_type("restorevms"), SessionType::RestoreVms);
    EXPECT_EQ(localized_name(SessionType::InvalidSnapshotRetention), "Invalid Snapshot Deletion");
}

} // namespace
} // namespace jobsessions::domain
