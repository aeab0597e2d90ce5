// SPDX-License-Identifier: Apache-2.0
// The run's state machine with its process launcher replaced: what a run records when its command cannot start.
#include "jobsessions/runner/runner.hpp"
#include "jobsessions/store/store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>

namespace jobsessions::runner {
namespace {

using domain::SessionStatus;

/// Refuses every command, as fork does when the system is out of processes; while held, it waits before refusing.
class RefusingLauncher final : public ProcessLauncher {
public:
    boost::system::result<Child, std::string> launch(const ChildCommand& command) override
    {
        std::unique_lock lock(mutex_);
        released_.wait(lock, [&] { return !held_; });
        launched = command;
        return std::string("Resource temporarily unavailable");
    }
    void hold()
    {
        std::lock_guard lock(mutex_);
        held_ = true;
    }
    void release()
    {
        std::lock_guard lock(mutex_);
        held_ = false;
        released_.notify_all();
    }
    ChildCommand launched;

private:
    std::mutex mutex_;
    std::condition_variable released_;
    bool held_ = false;
};

/// The store of a runner's records, whose claims can be held until released; it tells when a claim waits and when
/// the runs are listed.
class HoldingRunStore final : public store::RunStore {
public:
    explicit HoldingRunStore(store::RunStore& inner)
        : inner_(inner)
    {
    }

    store::Result<bool> claim_policy_run(const store::PolicyRun& run, std::int64_t max_runs) override
    {
        std::unique_lock lock(mutex_);
        claim_waiting_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !held_; });
        return inner_.claim_policy_run(run, max_runs);
    }
    store::Result<void> insert_policy_run(const store::PolicyRun& run) override
    {
        return inner_.insert_policy_run(run);
    }
    store::Result<void> remove_policy_run(std::int64_t session_id) override
    {
        return inner_.remove_policy_run(session_id);
    }
    store::Result<std::vector<store::PolicyRun>> list_policy_runs() override
    {
        {
            std::lock_guard lock(mutex_);
            listed_ = true;
            changed_.notify_all();
        }
        return inner_.list_policy_runs();
    }

    void hold()
    {
        std::lock_guard lock(mutex_);
        held_ = true;
    }
    void release()
    {
        std::lock_guard lock(mutex_);
        held_ = false;
        changed_.notify_all();
    }
    /// Waits until a claim is held; false after 30 s.
    bool wait_for_claim()
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return claim_waiting_; });
    }
    /// Forgets that the runs were listed, then waits until they are again; false after 30 s.
    void expect_listing()
    {
        std::lock_guard lock(mutex_);
        listed_ = false;
    }
    bool wait_for_listing()
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return listed_; });
    }

private:
    store::RunStore& inner_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool held_ = false;
    bool claim_waiting_ = false;
    bool listed_ = false;
};

class RunnerWithLauncher : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = store::open_sqlite_store({dir_.file("jobsessions.db")});
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
        sessions_ = std::make_unique<service::SessionService>(*store_, *store_, clock_, hub_);
        records_ = std::make_unique<service::RunRecords>(*store_);
        RunnerConfig config;
        config.default_working_directory = "/srv/backups";
        config.launcher = &launcher_;
        runner_ = std::make_unique<Runner>(*sessions_, *records_, config);
    }

    /// Waits (on the change hub, not the clock) until session `id` is final.
    domain::JobSession ended(std::int64_t id)
    {
        std::mutex mutex;
        std::condition_variable changed;
        auto watch = hub_.watch_session(id, [&] {
            std::lock_guard lock(mutex);
            changed.notify_all();
        });
        std::unique_lock lock(mutex);
        domain::JobSession session;
        EXPECT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] {
            session = *sessions_->get(service::kSystem, id);
            return domain::is_final(session.status);
        }));
        return session;
    }

    test::TempDir dir_;
    std::unique_ptr<store::Store> store_;
    util::SystemClock clock_;
    service::ChangeHub hub_;
    std::unique_ptr<service::SessionService> sessions_;
    std::unique_ptr<service::RunRecords> records_;
    RefusingLauncher launcher_;
    std::unique_ptr<Runner> runner_;
};

TEST_F(RunnerWithLauncher, ACommandThatCannotStartEndsItsSessionAsErrorSayingWhy)
{
    domain::Policy policy;
    policy.id = "p-1";
    policy.name = "Nightly";
    policy.command = {"backup", "--all"};
    policy.environment = {{"TARGET", "/mnt"}};
    auto started = runner_->start(policy, Trigger::Manual);
    ASSERT_TRUE(started) << started.error().message;
    const auto session = ended(started->id);
    EXPECT_EQ(session.status, SessionStatus::Error);
    runner_->shutdown();
    // What the launcher was asked to start: the policy's command, environment and the default directory.
    EXPECT_EQ(launcher_.launched.argv, policy.command);
    EXPECT_EQ(launcher_.launched.environment, std::vector<std::string>{"TARGET=/mnt"});
    EXPECT_EQ(launcher_.launched.directory, "/srv/backups");
    auto log = sessions_->log(service::kSystem, started->id, 0, -1);
    ASSERT_TRUE(log);
    std::vector<std::string> messages;
    for (const auto& entry : *log) {
        messages.push_back(entry.message);
    }
    ASSERT_GE(messages.size(), 2U);
    EXPECT_EQ(messages[0], "Started by request: backup --all");
    EXPECT_EQ(messages[1], "Cannot start the command: Resource temporarily unavailable");
    EXPECT_EQ(*runner_->active_runs(policy.id), 0U);
    // Nothing was recorded as running: a restart has nothing to end.
    auto left = records_->left_behind();
    ASSERT_TRUE(left);
    EXPECT_TRUE(left->empty());
}

TEST_F(RunnerWithLauncher, ARunWhoseSessionShowsEndedNoLongerCountsAgainstItsPolicy)
{
    domain::Policy policy;
    policy.id = "p-2";
    policy.name = "One at a time";
    policy.command = {"backup"};
    policy.max_concurrent_runs = 1;
    // A client that sees the session ended starts the next run at once: at the moment the final status is
    // visible (the hub tells watchers synchronously), the policy's slot must be free already.
    std::mutex mutex;
    std::optional<std::size_t> runs_when_ended;
    launcher_.hold();
    auto started = runner_->start(policy, Trigger::Manual);
    if (!started) {
        launcher_.release();
        FAIL() << started.error().message;
    }
    auto watch = hub_.watch_session(started->id, [&] {
        auto session = sessions_->get(service::kSystem, started->id);
        std::lock_guard lock(mutex);
        if (session && domain::is_final(session->status) && !runs_when_ended) {
            runs_when_ended = *runner_->active_runs(policy.id);
        }
    });
    launcher_.release();
    ended(started->id);
    runner_->shutdown();
    std::lock_guard lock(mutex);
    ASSERT_TRUE(runs_when_ended.has_value());
    EXPECT_EQ(*runs_when_ended, 0U);
}

/// A runner whose records' claims can be held (HoldingRunStore): a start can be caught between its count and its
/// entry among the runs.
class RunnerWithHeldClaims : public RunnerWithLauncher {
protected:
    void SetUp() override
    {
        RunnerWithLauncher::SetUp();
        holding_ = std::make_unique<HoldingRunStore>(*store_);
        held_records_ = std::make_unique<service::RunRecords>(*holding_);
        RunnerConfig config;
        config.launcher = &launcher_;
        held_runner_ = std::make_unique<Runner>(*sessions_, *held_records_, config);
    }

    static domain::Policy policy(std::string id, std::string name)
    {
        domain::Policy p;
        p.id = std::move(id);
        p.name = std::move(name);
        p.command = {"backup"};
        return p;
    }

    std::unique_ptr<HoldingRunStore> holding_;
    std::unique_ptr<service::RunRecords> held_records_;
    std::unique_ptr<Runner> held_runner_;
};

// A policy deleted with force while one of its runs is starting (between its count and its entry among the runs):
// the run is stopped as it enters, the deletion waits for it as for the others, and no new run starts meanwhile.
TEST_F(RunnerWithHeldClaims, StoppingAPolicysRunsStopsAndWaitsForARunStartingMeanwhile)
{
    auto& holding = *holding_;
    auto& runner = *held_runner_;
    const auto policy = this->policy("p-3", "Deleted");

    holding.hold();
    auto starting = std::async(std::launch::async, [&] { return runner.start(policy, Trigger::Manual); });
    ASSERT_TRUE(holding.wait_for_claim());
    holding.expect_listing();
    auto stopping = std::async(std::launch::async, [&] { runner.stop_policy(policy); });
    // The stop has begun (it lists the runs of other servers once new runs are refused).
    if (!holding.wait_for_listing()) {
        holding.release();
        FAIL() << "the stop never looked for the runs of other servers";
    }
    const auto refused = runner.start(policy, Trigger::Manual);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, service::DomainErrc::Conflict);
    EXPECT_NE(refused.error().message.find("is being deleted"), std::string::npos) << refused.error().message;

    holding.release();
    const auto started = starting.get();
    ASSERT_TRUE(started) << started.error().message;
    stopping.get();
    // When the stop returns, the run that was starting has ended, saying why.
    const auto session = sessions_->get(service::kSystem, started->id);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->status, SessionStatus::Canceled);
    auto log = sessions_->log(service::kSystem, started->id, 0, -1);
    ASSERT_TRUE(log);
    ASSERT_FALSE(log->empty());
    EXPECT_NE(log->back().message.find("Canceled: the policy was deleted."), std::string::npos) << log->back().message;
    runner.shutdown();
}

// A run starting as the server shuts down is stopped as it enters, and the shutdown waits for it: no run's thread
// outlives the runner.
TEST_F(RunnerWithHeldClaims, ShuttingDownWaitsForARunStartingMeanwhile)
{
    auto& holding = *holding_;
    auto& runner = *held_runner_;
    const auto policy = this->policy("p-4", "Late");

    holding.hold();
    auto starting = std::async(std::launch::async, [&] { return runner.start(policy, Trigger::Manual); });
    ASSERT_TRUE(holding.wait_for_claim());
    auto stopping = std::async(std::launch::async, [&] { runner.shutdown(); });
    // Time for the shutdown to begin, which then waits for the start. A shutdown that did not wait would have
    // returned by now; one that begins later still finds the run entered, stops it and waits, and the test passes.
    stopping.wait_for(std::chrono::milliseconds(200));
    holding.release();
    const auto started = starting.get();
    ASSERT_TRUE(started) << started.error().message;
    stopping.get();
    const auto session = sessions_->get(service::kSystem, started->id);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->status, SessionStatus::Canceled);
}

} // namespace
} // namespace jobsessions::runner
