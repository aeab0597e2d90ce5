// SPDX-License-Identifier: Apache-2.0
// The run's state machine with its process launcher replaced: what a run records when its command cannot start.
#include "jobsessions/runner/runner.hpp"
#include "jobsessions/store/store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
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

} // namespace
} // namespace jobsessions::runner
