// SPDX-License-Identifier: Apache-2.0
// The sessions' metrics, through the session service on a real store and without HTTP: what finishes is counted
// once, by type and final status, with its duration; what has not finished is read from the store's counts.
#include "jobsessions/service/session_metrics.hpp"
#include "jobsessions/store/store.hpp"

#include "support/fake_clock.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jobsessions::service {
namespace {

using domain::SessionStatus;
using domain::SessionType;

class SessionMetricsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = store::open_sqlite_store({dir_.file("db")});
        ASSERT_TRUE(opened);
        store_ = std::move(*opened);
        sessions_ = std::make_unique<SessionService>(*store_, *store_, clock_, hub_);
        metrics_ = std::make_unique<SessionMetrics>(registry_, *sessions_);
    }

    /// The line of the rendered page that starts with `series` followed by a space, without it; empty if none.
    [[nodiscard]] std::string sample(const std::string& series) const
    {
        const auto page = registry_.render();
        const auto at = page.find("\n" + series + " ");
        if (at == std::string::npos) {
            return {};
        }
        const auto from = at + series.size() + 2;
        return page.substr(from, page.find('\n', from) - from);
    }

    domain::JobSession create(SessionType type, SessionStatus status)
    {
        CreateSession request;
        request.type = type;
        request.status = status;
        auto created = sessions_->create(kSystem, request, nullptr);
        EXPECT_TRUE(created);
        return *created;
    }

    test::TempDir dir_;
    test::FakeClock clock_{1'750'000'000'000'000};
    ChangeHub hub_;
    metrics::Registry registry_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<SessionService> sessions_;
    std::unique_ptr<SessionMetrics> metrics_;
};

TEST_F(SessionMetricsTest, EveryTypeAndFinalStatusStartsAtZero)
{
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="PolicyBackup",status="Success"})"), "0");
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="RepositoryEdit",status="NeverExecuted"})"), "0");
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="PolicyBackup",status="Running"})"), "");
    EXPECT_EQ(sample(R"(jobsessions_sessions_running{type="HealthCheck"})"), "0");
    EXPECT_EQ(sample(R"(jobsessions_session_duration_seconds_count{type="PolicyBackup"})"), "0");
}

TEST_F(SessionMetricsTest, ASessionIsCountedOnceWhenItFinishesWithHowLongItRan)
{
    const auto running = create(SessionType::PolicyBackup, SessionStatus::Running);
    create(SessionType::PolicyBackup, SessionStatus::Pending);
    create(SessionType::HealthCheck, SessionStatus::Running);
    EXPECT_EQ(sample(R"(jobsessions_sessions_running{type="PolicyBackup"})"), "2");
    EXPECT_EQ(sample(R"(jobsessions_sessions_running{type="HealthCheck"})"), "1");
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="PolicyBackup",status="Error"})"), "0");

    // A status on the way (no end yet), then the end after 90 s.
    domain::SessionChange warn;
    warn.status = SessionStatus::RunningWithWarning;
    ASSERT_TRUE(sessions_->change(kSystem, running.id, warn, nullptr));
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="PolicyBackup",status="Warning"})"), "0");
    clock_.advance_seconds(90);
    domain::SessionChange end;
    end.status = SessionStatus::Error;
    ASSERT_TRUE(sessions_->change(kSystem, running.id, end, nullptr));
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="PolicyBackup",status="Error"})"), "1");
    EXPECT_EQ(sample(R"(jobsessions_sessions_running{type="PolicyBackup"})"), "1");
    EXPECT_EQ(sample(R"(jobsessions_session_duration_seconds_bucket{type="PolicyBackup",le="60"})"), "0");
    EXPECT_EQ(sample(R"(jobsessions_session_duration_seconds_bucket{type="PolicyBackup",le="300"})"), "1");
    EXPECT_EQ(sample(R"(jobsessions_session_duration_seconds_sum{type="PolicyBackup"})"), "90");

    // A final session refuses further changes: nothing is counted twice.
    EXPECT_FALSE(sessions_->change(kSystem, running.id, end, nullptr));
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="PolicyBackup",status="Error"})"), "1");

    // A session reported already finished counts as it is created.
    create(SessionType::HealthCheck, SessionStatus::Success);
    EXPECT_EQ(sample(R"(jobsessions_sessions_finished_total{type="HealthCheck",status="Success"})"), "1");
    EXPECT_EQ(sample(R"(jobsessions_session_duration_seconds_count{type="HealthCheck"})"), "1");
}

} // namespace
} // namespace jobsessions::service
