// SPDX-License-Identifier: Apache-2.0
// The store contract for policies, the scheduler's ticks, run records, retention, users and the login throttle's
// counts, on every backend.
#include "store/store_contract.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::store {
namespace {

using domain::SessionStatus;
using domain::SessionType;

constexpr util::Micros kDay = 24 * 3600 * util::kMicrosPerSecond;
constexpr util::Micros kNow = 1'767'225'600'000'000; // 2026-01-01T00:00:00Z

domain::Policy policy_named(const std::string& id, const std::string& name)
{
    domain::Policy p;
    p.id = id;
    p.name = name;
    p.description = "Copies the databases";
    p.session_type = SessionType::PolicySnapshot;
    p.command = {"/usr/bin/backup", "--all", "ünïcode"};
    p.working_directory = "/srv";
    p.environment = {{"B", "2"}, {"A", "1"}};
    p.schedule = "0 2 * * *";
    p.enabled = false;
    p.timeout_seconds = 3600;
    p.stop_grace_seconds = 12;
    p.warning_exit_codes = {3, 7};
    p.retention_days = 14;
    p.max_concurrent_runs = 2;
    p.catch_up = true;
    p.created_at = kNow;
    return p;
}

class PolicyContract : public StoreContractTest {
protected:
    /// A finished session of `policy_id` (none: without a policy) started `days_ago` days before kNow.
    domain::JobSession finished(const std::optional<std::string>& policy_id, std::int64_t days_ago,
                                SessionStatus status = SessionStatus::Success)
    {
        auto s = running();
        s.status = status;
        s.start_time = kNow - days_ago * kDay;
        if (status != SessionStatus::Running) {
            s.stop_time = s.start_time + 1;
        }
        if (policy_id) {
            s.backup_info = domain::BackupJobInfo{*policy_id, "Policy " + *policy_id, 1, false};
        }
        s.log = {NewLogEntry{s.start_time, SessionStatus::Success, "one", 0, 0},
                 NewLogEntry{s.start_time, SessionStatus::Success, "two", 0, 0}};
        auto created = store_->create_session(s, nullptr);
        EXPECT_TRUE(created);
        return *created;
    }

    bool exists(std::int64_t id) { return static_cast<bool>(store_->get_session(id)); }
};

TEST_P(PolicyContract, APolicyReadsBackWhole)
{
    const auto p = policy_named("0b7e4bd8-1f5f-4a57-9a8e-3b1d2c4e5f60", "Databases");
    auto created = store_->create_policy(p);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_GT(created->usn, 0);
    auto read = store_->get_policy(p.id);
    ASSERT_TRUE(read);
    for (const auto* policy : {&*created, &*read}) {
        EXPECT_EQ(policy->id, p.id);
        EXPECT_EQ(policy->name, p.name);
        EXPECT_EQ(policy->description, p.description);
        EXPECT_EQ(policy->session_type, p.session_type);
        EXPECT_EQ(policy->command, p.command);
        EXPECT_EQ(policy->working_directory, p.working_directory);
        EXPECT_EQ(policy->environment, p.environment); // in the order given
        EXPECT_EQ(policy->schedule, p.schedule);
        EXPECT_EQ(policy->enabled, p.enabled);
        EXPECT_EQ(policy->timeout_seconds, p.timeout_seconds);
        EXPECT_EQ(policy->stop_grace_seconds, p.stop_grace_seconds);
        EXPECT_EQ(policy->warning_exit_codes, p.warning_exit_codes);
        EXPECT_EQ(policy->retention_days, p.retention_days);
        EXPECT_EQ(policy->max_concurrent_runs, p.max_concurrent_runs);
        EXPECT_EQ(policy->catch_up, p.catch_up);
        EXPECT_EQ(policy->created_at, p.created_at);
    }
    EXPECT_EQ(read->usn, created->usn);
    EXPECT_EQ(store_->get_policy("no-such-policy").error().code, StoreErrc::NotFound);
}

TEST_P(PolicyContract, NamesAreUniqueWithoutRegardToCaseAndListedInOrder)
{
    ASSERT_TRUE(store_->create_policy(policy_named("id-b", "Beta")));
    ASSERT_TRUE(store_->create_policy(policy_named("id-a", "alpha")));
    ASSERT_TRUE(store_->create_policy(policy_named("id-c", "Gamma")));
    auto taken = store_->create_policy(policy_named("id-d", "BETA"));
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, StoreErrc::Conflict);
    auto listed = store_->list_policies();
    ASSERT_TRUE(listed);
    std::vector<std::string> names;
    for (const auto& p : *listed) {
        names.push_back(p.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"alpha", "Beta", "Gamma"}));

    // An update gives the next usn; taking another's name is refused and changes nothing.
    auto before = *store_->get_policy("id-a");
    auto changed = before;
    changed.name = "Alpha";
    changed.command = {"true"};
    auto updated = store_->update_policy(changed);
    ASSERT_TRUE(updated);
    EXPECT_GT(updated->usn, before.usn);
    EXPECT_EQ(store_->get_policy("id-a")->command, std::vector<std::string>{"true"});
    changed.name = "gamma";
    auto refused = store_->update_policy(changed);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, StoreErrc::Conflict);
    EXPECT_EQ(store_->get_policy("id-a")->name, "Alpha");
    auto missing = policy_named("id-z", "Zeta");
    EXPECT_EQ(store_->update_policy(missing).error().code, StoreErrc::NotFound);

    // Deleted: gone, its name free again.
    ASSERT_TRUE(store_->delete_policy("id-b"));
    EXPECT_EQ(store_->get_policy("id-b").error().code, StoreErrc::NotFound);
    EXPECT_TRUE(store_->create_policy(policy_named("id-e", "beta")));
}

TEST_P(PolicyContract, TheLastTickIsKeptPerPolicy)
{
    ASSERT_TRUE(store_->create_policy(policy_named("id-a", "A")));
    ASSERT_TRUE(store_->create_policy(policy_named("id-b", "B")));
    auto none = store_->policy_last_tick("id-a");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    ASSERT_TRUE(store_->set_policy_last_tick("id-a", kNow + 5));
    EXPECT_EQ(*store_->policy_last_tick("id-a"), kNow + 5);
    EXPECT_FALSE(*store_->policy_last_tick("id-b"));
    ASSERT_TRUE(store_->set_policy_last_tick("id-a", kNow + 9));
    EXPECT_EQ(*store_->policy_last_tick("id-a"), kNow + 9);
    EXPECT_EQ(store_->policy_last_tick("no-such-policy").error().code, StoreErrc::NotFound);
}

TEST_P(PolicyContract, ATickAdvancesOnlyFromTheTickExpected)
{
    ASSERT_TRUE(store_->create_policy(policy_named("id-a", "A")));
    ASSERT_TRUE(store_->create_policy(policy_named("id-b", "B")));
    // Two schedulers that read the same last tick: the first moves it, the second finds it moved and runs nothing.
    ASSERT_TRUE(store_->advance_policy_tick("id-a", std::nullopt, kNow + 60));
    auto moved = store_->advance_policy_tick("id-a", std::nullopt, kNow + 60);
    ASSERT_TRUE(moved);
    EXPECT_FALSE(*moved);
    EXPECT_EQ(*store_->policy_last_tick("id-a"), kNow + 60);
    moved = store_->advance_policy_tick("id-a", kNow + 60, kNow + 120);
    ASSERT_TRUE(moved);
    EXPECT_TRUE(*moved);
    moved = store_->advance_policy_tick("id-a", kNow + 60, kNow + 120);
    ASSERT_TRUE(moved);
    EXPECT_FALSE(*moved);
    EXPECT_EQ(*store_->policy_last_tick("id-a"), kNow + 120);
    EXPECT_FALSE(*store_->policy_last_tick("id-b"));
    EXPECT_EQ(store_->advance_policy_tick("no-such-policy", std::nullopt, kNow).error().code, StoreErrc::NotFound);
}

TEST_P(PolicyContract, RunsAreRecordedUntilForgotten)
{
    auto first = store_->create_session(running(), nullptr);
    auto second = store_->create_session(running(), nullptr);
    ASSERT_TRUE(first && second);
    ASSERT_TRUE(store_->insert_policy_run(PolicyRun{first->id, "id-a", 4242, 123456, {}}));
    ASSERT_TRUE(store_->insert_policy_run(PolicyRun{second->id, "id-b", 4243, 0, {}}));
    auto runs = store_->list_policy_runs();
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 2U);
    std::sort(runs->begin(), runs->end(), [](const auto& a, const auto& b) { return a.session_id < b.session_id; });
    EXPECT_EQ((*runs)[0].session_id, first->id);
    EXPECT_EQ((*runs)[0].policy_id, "id-a");
    EXPECT_EQ((*runs)[0].pid, 4242);
    EXPECT_EQ((*runs)[0].process_start, 123456);
    EXPECT_EQ((*runs)[1].policy_id, "id-b");
    ASSERT_TRUE(store_->remove_policy_run(first->id));
    runs = store_->list_policy_runs();
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 1U);
    EXPECT_EQ(runs->front().session_id, second->id);
    EXPECT_TRUE(store_->remove_policy_run(first->id)); // forgetting twice is harmless
}

TEST_P(PolicyContract, AClaimRecordsARunOnlyWhileItsPolicyHasFewerThanItAllows)
{
    ASSERT_TRUE(store_->create_policy(policy_named("id-a", "Claimed")));
    std::vector<std::int64_t> sessions;
    for (int i = 0; i < 3; ++i) {
        auto created = store_->create_session(running(), nullptr);
        ASSERT_TRUE(created);
        sessions.push_back(created->id);
    }
    EXPECT_TRUE(*store_->claim_policy_run(PolicyRun{sessions[0], "id-a", 0, 0, {}}, 2));
    EXPECT_TRUE(*store_->claim_policy_run(PolicyRun{sessions[1], "id-a", 0, 0, {}}, 2));
    EXPECT_FALSE(*store_->claim_policy_run(PolicyRun{sessions[2], "id-a", 0, 0, {}}, 2));
    // Another policy's runs do not count.
    EXPECT_TRUE(*store_->claim_policy_run(PolicyRun{sessions[2], "id-b", 0, 0, {}}, 1));
    ASSERT_TRUE(store_->remove_policy_run(sessions[2]));
    // The process a claimed run started is recorded on its claim, which stays one run.
    ASSERT_TRUE(store_->insert_policy_run(PolicyRun{sessions[0], "id-a", 4242, 123456, {}}));
    auto runs = store_->list_policy_runs();
    ASSERT_TRUE(runs);
    ASSERT_EQ(runs->size(), 2U);
    EXPECT_EQ(runs->front().session_id, sessions[0]);
    EXPECT_EQ(runs->front().pid, 4242);
    EXPECT_EQ(runs->front().process_start, 123456);
    EXPECT_FALSE(*store_->claim_policy_run(PolicyRun{sessions[2], "id-a", 0, 0, {}}, 2));
    // A run forgotten frees its place.
    ASSERT_TRUE(store_->remove_policy_run(sessions[0]));
    EXPECT_TRUE(*store_->claim_policy_run(PolicyRun{sessions[2], "id-a", 0, 0, {}}, 2));
}

TEST_P(PolicyContract, OfManyClaimsAtOnceOnlyAsManyAsThePolicyAllowsAreRecorded)
{
    ASSERT_TRUE(store_->create_policy(policy_named("id-a", "Claimed at once")));
    constexpr int kClaims = 16;
    constexpr std::int64_t kAllowed = 3;
    std::vector<std::int64_t> sessions;
    for (int i = 0; i < kClaims; ++i) {
        auto created = store_->create_session(running(), nullptr);
        ASSERT_TRUE(created);
        sessions.push_back(created->id);
    }
    std::atomic<int> recorded{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> claims;
    claims.reserve(kClaims);
    for (const auto id : sessions) {
        claims.emplace_back([&, id] {
            auto claimed = store_->claim_policy_run(PolicyRun{id, "id-a", 0, 0, {}}, kAllowed);
            if (!claimed) {
                ++failed;
            } else if (*claimed) {
                ++recorded;
            }
        });
    }
    for (auto& claim : claims) {
        claim.join();
    }
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(recorded.load(), kAllowed);
    auto runs = store_->list_policy_runs();
    ASSERT_TRUE(runs);
    EXPECT_EQ(runs->size(), static_cast<std::size_t>(kAllowed));
}

TEST_P(PolicyContract, RetentionDeletesFinishedSessionsOfItsScopeInBatchesWithTheirLogs)
{
    auto kept_policy = policy_named("kept", "Kept two weeks");
    kept_policy.retention_days = 14;
    ASSERT_TRUE(store_->create_policy(kept_policy));
    auto default_policy = policy_named("default", "Default retention");
    default_policy.retention_days.reset();
    ASSERT_TRUE(store_->create_policy(default_policy));

    const auto kept_old = finished(std::string("kept"), 20);
    const auto kept_old_too = finished(std::string("kept"), 30, SessionStatus::Error);
    const auto kept_new = finished(std::string("kept"), 2);
    const auto kept_running = finished(std::string("kept"), 40, SessionStatus::Running);
    const auto default_old = finished(std::string("default"), 20);
    const auto orphan_old = finished(std::nullopt, 20);
    const auto orphan_new = finished(std::nullopt, 1);
    const auto gone_policy_old = finished(std::string("deleted-long-ago"), 20);
    const auto orphan_oldest = finished(std::nullopt, 25);

    // The policy's own sweep, one session per batch: only its finished sessions older than the time, the oldest
    // first.
    auto batch = store_->delete_old_sessions(std::string("kept"), kNow - 14 * kDay, 1);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->sessions, 1);
    EXPECT_EQ(batch->log_entries, 2);
    EXPECT_FALSE(exists(kept_old_too.id));
    EXPECT_TRUE(exists(kept_old.id));
    batch = store_->delete_old_sessions(std::string("kept"), kNow - 14 * kDay, 1);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->sessions, 1);
    batch = store_->delete_old_sessions(std::string("kept"), kNow - 14 * kDay, 1);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->sessions, 0);
    EXPECT_FALSE(exists(kept_old.id));
    EXPECT_FALSE(exists(kept_old_too.id));
    EXPECT_TRUE(exists(kept_new.id));
    EXPECT_TRUE(exists(kept_running.id));
    auto log = store_->get_log(kept_old.id, 0, -1);
    EXPECT_TRUE(!log || log->empty());

    // The default sweep: sessions no policy's retention covers (none, a policy without one, a deleted policy), the
    // oldest first.
    batch = store_->delete_old_sessions(std::nullopt, kNow - 10 * kDay, 1);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->sessions, 1);
    EXPECT_FALSE(exists(orphan_oldest.id));
    EXPECT_TRUE(exists(orphan_old.id));
    batch = store_->delete_old_sessions(std::nullopt, kNow - 10 * kDay, 100);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->sessions, 3);
    EXPECT_EQ(batch->log_entries, 6);
    EXPECT_FALSE(exists(default_old.id));
    EXPECT_FALSE(exists(orphan_old.id));
    EXPECT_FALSE(exists(gone_policy_old.id));
    EXPECT_TRUE(exists(orphan_new.id));
    EXPECT_TRUE(exists(kept_new.id));
    EXPECT_TRUE(exists(kept_running.id));
    auto total = store_->count_sessions({});
    ASSERT_TRUE(total);
    EXPECT_EQ(*total, 3);
}

TEST_P(PolicyContract, UsersChangeAndGoWithTheirLogins)
{
    domain::User u;
    u.name = "Frank";
    u.role = domain::Role::Operator;
    u.password_hash = "hash-1";
    u.created_at = kNow;
    auto created = store_->create_user(u);
    ASSERT_TRUE(created);
    auto changed = *created;
    changed.role = domain::Role::Administrator;
    changed.password_hash = "hash-2";
    changed.disabled = true;
    ASSERT_TRUE(store_->update_user(changed));
    auto read = store_->find_user("FRANK");
    ASSERT_TRUE(read);
    EXPECT_EQ(read->id, created->id);
    EXPECT_EQ(read->name, "Frank");
    EXPECT_EQ(read->role, domain::Role::Administrator);
    EXPECT_EQ(read->password_hash, "hash-2");
    EXPECT_TRUE(read->disabled);
    EXPECT_EQ(read->created_at, kNow);
    ASSERT_TRUE(store_->insert_refresh_token({"frank-token", "login-f", created->id, kNow + kDay, kNow}));
    ASSERT_TRUE(store_->remove_user(created->id));
    EXPECT_EQ(store_->find_user("frank").error().code, StoreErrc::NotFound);
    RefreshTokenRecord next{"n", "", 0, kNow + kDay, kNow};
    EXPECT_EQ(store_->rotate_refresh_token("frank-token", kNow, next)->outcome, RotationOutcome::Invalid);
    auto users = store_->list_users();
    ASSERT_TRUE(users);
    EXPECT_TRUE(users->empty());
}

TEST_P(PolicyContract, FailedLoginsAreCountedPerKeyUntilForgottenOrASuccess)
{
    auto none = store_->login_failures({"a", "b"});
    ASSERT_TRUE(none);
    ASSERT_EQ(none->size(), 2U);
    EXPECT_EQ((*none)[0].count, 0);
    EXPECT_EQ((*none)[1].count, 0);
    ASSERT_TRUE(store_->add_login_failure({"a", "b"}, kNow, kNow - kDay));
    auto counts = store_->add_login_failure({"a"}, kNow + 10, kNow - kDay);
    ASSERT_TRUE(counts);
    ASSERT_EQ(counts->size(), 1U);
    EXPECT_EQ(counts->front().count, 2);
    EXPECT_EQ(counts->front().last, kNow + 10);
    auto read = store_->login_failures({"b", "a"});
    ASSERT_TRUE(read);
    EXPECT_EQ((*read)[0].count, 1);
    EXPECT_EQ((*read)[1].count, 2);
    // A key whose last failure is older than forget_before starts over.
    counts = store_->add_login_failure({"b"}, kNow + 20, kNow + 5);
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->front().count, 1);
    // A success forgets the failures under its key and notes the address.
    EXPECT_FALSE(*store_->last_login_success("frank@192.0.2.1"));
    ASSERT_TRUE(store_->record_login_success("a", "frank@192.0.2.1", kNow + 30));
    EXPECT_EQ(store_->login_failures({"a"})->front().count, 0);
    EXPECT_EQ(store_->login_failures({"b"})->front().count, 1);
    EXPECT_EQ(*store_->last_login_success("frank@192.0.2.1"), kNow + 30);
}

INSTANTIATE_TEST_SUITE_P(Backends, PolicyContract, contract_backends(), backend_name);

} // namespace
} // namespace jobsessions::store
