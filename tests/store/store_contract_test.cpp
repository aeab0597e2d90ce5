// SPDX-License-Identifier: Apache-2.0
// One contract suite for every storage backend. Each backend is a parameter; there is never a copy per backend.
#include "store/store_contract.hpp"

#include <set>
#include <thread>

namespace jobsessions::store {
namespace {

using domain::SessionStatus;
using domain::SessionType;

class StoreContract : public StoreContractTest {};

TEST_P(StoreContract, CreatedSessionReadsBackWithIdAndUsn)
{
    auto s = running();
    s.backup_info = domain::BackupJobInfo{"p1", "Nightly", 4, true};
    s.retention_info = domain::RetentionJobInfo{9};
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    EXPECT_GT(created->id, 0);
    EXPECT_GT(created->usn, 0);
    auto read = store_->get_session(created->id);
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, *created);
    EXPECT_FALSE(read->restore_info);
    EXPECT_FALSE(read->repository_info);
}

TEST_P(StoreContract, MissingSessionIsNotFound)
{
    auto read = store_->get_session(12345);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, StoreErrc::NotFound);
    auto creator = store_->get_session_creator(12345);
    ASSERT_FALSE(creator);
    EXPECT_EQ(creator.error().code, StoreErrc::NotFound);
}

TEST_P(StoreContract, ASessionsCreatorIsReadAlone)
{
    auto s = running();
    s.created_by = 42;
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    EXPECT_EQ(store_->get_session_creator(created->id).value(), 42);
}

TEST_P(StoreContract, UsnIsOneCounterStrictlyIncreasingAcrossCreatesAndChanges)
{
    auto a = store_->create_session(running(), nullptr);
    auto b = store_->create_session(running(), nullptr);
    ASSERT_TRUE(a && b);
    EXPECT_GT(b->usn, a->usn);
    auto next = *a;
    next.status = SessionStatus::Success;
    next.stop_time = next.start_time + 1;
    auto replaced = store_->replace_session(next, a->usn, nullptr);
    ASSERT_TRUE(replaced);
    EXPECT_GT(replaced->usn, b->usn);
    EXPECT_EQ(store_->get_session(a->id)->status, SessionStatus::Success);
}

TEST_P(StoreContract, ReplaceWithAStaleUsnConflictsAndChangesNothing)
{
    auto a = store_->create_session(running(), nullptr);
    ASSERT_TRUE(a);
    auto next = *a;
    next.status = SessionStatus::Warning;
    ASSERT_TRUE(store_->replace_session(next, a->usn, nullptr));
    next.status = SessionStatus::Error;
    auto stale = store_->replace_session(next, a->usn, nullptr);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, StoreErrc::Conflict);
    EXPECT_EQ(store_->get_session(a->id)->status, SessionStatus::Warning);
    next.id = 999;
    auto missing = store_->replace_session(next, 1, nullptr);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, StoreErrc::NotFound);
}

TEST_P(StoreContract, LogEntriesGetDenseSequencesAndPage)
{
    auto s = store_->create_session(running(), nullptr);
    ASSERT_TRUE(s);
    std::vector<NewLogEntry> batch(3);
    for (int i = 0; i < 3; ++i) {
        batch[static_cast<std::size_t>(i)].message = "line " + std::to_string(i);
        batch[static_cast<std::size_t>(i)].log_time = 100 + i;
    }
    auto first = store_->append_log(s->id, batch, nullptr);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->first_sequence, 1);
    EXPECT_EQ(first->last_sequence, 3);
    auto second = store_->append_log(s->id, {batch[0]}, nullptr);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->first_sequence, 4);
    auto all = store_->get_log(s->id, 0, -1);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 4U);
    EXPECT_EQ((*all)[1].message, "line 1");
    EXPECT_EQ((*all)[3].sequence, 4);
    auto page = store_->get_log(s->id, 1, 2);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->size(), 2U);
    EXPECT_EQ((*page)[0].sequence, 2);
}

TEST_P(StoreContract, ALargeBatchKeepsEveryEntryItsFieldsAndItsPlace)
{
    auto s = store_->create_session(running(), nullptr);
    ASSERT_TRUE(s);
    // 73 = 32 + 32 + 8 + 1: entries are written by statements of several rows.
    constexpr int kEntries = 73;
    std::vector<NewLogEntry> batch(kEntries);
    for (int i = 0; i < kEntries; ++i) {
        auto& entry = batch[static_cast<std::size_t>(i)];
        entry.message = "block range " + std::to_string(i);
        entry.log_time = 1000 + i;
        entry.status = i % 3 == 0 ? domain::SessionStatus::Warning : domain::SessionStatus::Success;
        entry.execution_start_time = 2000 + i;
        entry.execution_duration = 10 * i;
    }
    ASSERT_TRUE(store_->append_log(s->id, {batch[0]}, nullptr));
    auto appended = store_->append_log(s->id, batch, nullptr);
    ASSERT_TRUE(appended);
    EXPECT_EQ(appended->first_sequence, 2);
    EXPECT_EQ(appended->last_sequence, 1 + kEntries);
    auto all = store_->get_log(s->id, 0, -1);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), static_cast<std::size_t>(1 + kEntries));
    for (int i = 0; i < kEntries; ++i) {
        const auto& read = (*all)[static_cast<std::size_t>(1 + i)];
        const auto& written = batch[static_cast<std::size_t>(i)];
        EXPECT_EQ(read.sequence, 2 + i);
        EXPECT_EQ(read.message, written.message);
        EXPECT_EQ(read.log_time, written.log_time);
        EXPECT_EQ(read.status, written.status);
        EXPECT_EQ(read.execution_start_time, written.execution_start_time);
        EXPECT_EQ(read.execution_duration, written.execution_duration);
    }
}

TEST_P(StoreContract, ASessionIsCreatedWithItsFirstLogEntriesInOneWrite)
{
    auto s = running();
    s.log.resize(2);
    s.log[0].message = "Started by schedule: backup";
    s.log[1].message = "Reading the configuration";
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    auto appended = store_->append_log(created->id, {NewLogEntry{}}, nullptr);
    ASSERT_TRUE(appended);
    EXPECT_EQ(appended->first_sequence, 3); // after the entries it was created with

    // A session created final keeps the entries it was created with: its log was never open to appends.
    auto skipped = running();
    skipped.status = SessionStatus::NeverExecuted;
    skipped.stop_time = skipped.start_time;
    skipped.log.resize(1);
    skipped.log[0].status = SessionStatus::NeverExecuted;
    skipped.log[0].message = "Not run";
    auto ended = store_->create_session(skipped, nullptr);
    ASSERT_TRUE(ended);
    auto log = store_->get_log(ended->id, 0, -1);
    ASSERT_TRUE(log);
    ASSERT_EQ(log->size(), 1U);
    EXPECT_EQ((*log)[0].sequence, 1);
    EXPECT_EQ((*log)[0].message, "Not run");
    EXPECT_EQ((*log)[0].status, SessionStatus::NeverExecuted);
    EXPECT_EQ(store_->get_log(created->id, 0, -1)->at(0).message, "Started by schedule: backup");
}

TEST_P(StoreContract, FinalSessionRefusesLogEntries)
{
    auto s = running();
    s.status = SessionStatus::Success;
    s.stop_time = s.start_time;
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    auto appended = store_->append_log(created->id, {NewLogEntry{}}, nullptr);
    ASSERT_TRUE(appended);
    EXPECT_TRUE(appended->refused_final);
    EXPECT_TRUE(store_->get_log(created->id, 0, -1)->empty());
}

TEST_P(StoreContract, IdempotencyKeyIsRecordedWithTheWriteAndOnlyOnce)
{
    IdempotencyWrite idem;
    idem.user_id = 1;
    idem.key = "k-1";
    idem.request_hash = "hash";
    idem.status_code = 201;
    idem.render = [](const WriteOutcome& outcome, IdempotencyRecord& record) {
        record.body = "session " + std::to_string(outcome.session.id);
        record.location = "/loc";
    };
    auto created = store_->create_session(running(), &idem);
    ASSERT_TRUE(created);
    auto record = store_->find_idempotency(1, "k-1");
    ASSERT_TRUE(record && *record);
    EXPECT_EQ((*record)->body, "session " + std::to_string(created->id));
    EXPECT_EQ((*record)->status_code, 201);
    EXPECT_EQ((*record)->request_hash, "hash");
    // The same key again: the write is refused as a whole, so no second session appears.
    auto again = store_->create_session(running(), &idem);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, StoreErrc::Conflict);
    EXPECT_FALSE(store_->get_session(created->id + 1));
    // Keys belong to one user.
    EXPECT_FALSE(*store_->find_idempotency(2, "k-1"));
}

TEST_P(StoreContract, UsersAreUniqueByNameWithoutRegardToCase)
{
    domain::User u;
    u.name = "Bob";
    u.role = domain::Role::Agent;
    u.password_hash = "$argon2id$x";
    auto created = store_->create_user(u);
    ASSERT_TRUE(created);
    u.name = "bob";
    auto duplicate = store_->create_user(u);
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code, StoreErrc::Conflict);
    auto found = store_->find_user("BOB");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, created->id);
    found->disabled = true;
    found->role = domain::Role::Viewer;
    ASSERT_TRUE(store_->update_user(*found));
    EXPECT_TRUE(store_->find_user("Bob")->disabled);
    EXPECT_EQ(store_->list_users()->size(), 1U);
    ASSERT_TRUE(store_->remove_user(found->id));
    EXPECT_EQ(store_->find_user("Bob").error().code, StoreErrc::NotFound);
    EXPECT_EQ(store_->remove_user(found->id).error().code, StoreErrc::NotFound);
}

TEST_P(StoreContract, RefreshTokenRotationSpendsOnceAndReuseRevokesTheLogin)
{
    domain::User u;
    u.name = "carol";
    u.password_hash = "x";
    auto user = store_->create_user(u);
    ASSERT_TRUE(user);
    RefreshTokenRecord first{"h1", "login-1", user->id, 1000, 0};
    ASSERT_TRUE(store_->insert_refresh_token(first));
    RefreshTokenRecord second{"h2", "", 0, 1000, 10};
    auto rotated = store_->rotate_refresh_token("h1", 10, second);
    ASSERT_TRUE(rotated);
    EXPECT_EQ(rotated->outcome, RotationOutcome::Rotated);
    EXPECT_EQ(rotated->user_id, user->id);
    EXPECT_EQ(rotated->login_id, "login-1");
    RefreshTokenRecord third{"h3", "", 0, 1000, 20};
    EXPECT_EQ(store_->rotate_refresh_token("h1", 20, third)->outcome, RotationOutcome::Reused);
    EXPECT_EQ(store_->rotate_refresh_token("h2", 20, third)->outcome, RotationOutcome::Invalid);
    EXPECT_EQ(store_->rotate_refresh_token("unknown", 20, third)->outcome, RotationOutcome::Invalid);
    RefreshTokenRecord old{"h4", "login-2", user->id, 50, 0};
    ASSERT_TRUE(store_->insert_refresh_token(old));
    EXPECT_EQ(store_->rotate_refresh_token("h4", 50, third)->outcome, RotationOutcome::Invalid);
}

TEST_P(StoreContract, RevokingAUsersLoginsEndsAllItsRefreshTokens)
{
    domain::User u;
    u.name = "dave";
    u.password_hash = "x";
    auto user = store_->create_user(u);
    ASSERT_TRUE(user);
    ASSERT_TRUE(store_->insert_refresh_token({"t1", "login-a", user->id, 1000, 0}));
    ASSERT_TRUE(store_->insert_refresh_token({"t2", "login-b", user->id, 1000, 0}));
    ASSERT_TRUE(store_->revoke_user_logins(user->id));
    RefreshTokenRecord next{"t3", "", 0, 1000, 10};
    EXPECT_EQ(store_->rotate_refresh_token("t1", 10, next)->outcome, RotationOutcome::Invalid);
    EXPECT_EQ(store_->rotate_refresh_token("t2", 10, next)->outcome, RotationOutcome::Invalid);
}

TEST_P(StoreContract, ExpiredTokensAndOldIdempotencyRecordsAreSweptTheRestKept)
{
    domain::User u;
    u.name = "erin";
    u.password_hash = "x";
    auto user = store_->create_user(u);
    ASSERT_TRUE(user);
    const util::Micros now = util::now_micros();
    const util::Micros week = 7LL * 24 * 3600 * util::kMicrosPerSecond;
    // Expired for longer than the reuse-detection grace (a week): swept. Expired yesterday: kept, so that a late
    // reuse is still recognised.
    ASSERT_TRUE(store_->insert_refresh_token({"long-gone", "login-a", user->id, now - 2 * week, 0}));
    ASSERT_TRUE(store_->insert_refresh_token({"recent", "login-b", user->id, now - week / 7, 0}));
    IdempotencyWrite idem;
    idem.user_id = user->id;
    idem.key = "old-key";
    idem.request_hash = "hash";
    idem.status_code = 201;
    ASSERT_TRUE(store_->create_session(running(), &idem));

    // Records older than "just after now": the idempotency record goes.
    auto removed = store_->delete_expired_records(now, util::now_micros() + 1);
    ASSERT_TRUE(removed);
    EXPECT_EQ(*removed, 2);
    EXPECT_FALSE(*store_->find_idempotency(user->id, "old-key"));
    RefreshTokenRecord next{"n", "", 0, now + week, now};
    EXPECT_EQ(store_->rotate_refresh_token("long-gone", now, next)->outcome, RotationOutcome::Invalid);
    // The recent one is still known: presenting it is recognised (as expired), not unknown.
    EXPECT_EQ(*store_->delete_expired_records(now, 0), 0);
}

TEST_P(StoreContract, SecretIsCreatedOnceAndThenKept)
{
    auto first = store_->get_or_create_secret("key", [] { return std::string("one"); });
    auto second = store_->get_or_create_secret("key", [] { return std::string("two"); });
    ASSERT_TRUE(first && second);
    EXPECT_EQ(*first, "one");
    EXPECT_EQ(*second, "one");
}

TEST_P(StoreContract, ConcurrentWritersAllLandWithDistinctIdsAndUsns)
{
    constexpr int kThreads = 16;
    constexpr int kPerThread = 25;
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::set<std::int64_t> ids;
    std::set<std::int64_t> usns;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i) {
                auto created = store_->create_session(running(), nullptr);
                ASSERT_TRUE(created);
                // Reads on this thread see the write at once.
                ASSERT_TRUE(store_->get_session(created->id));
                std::lock_guard lock(mutex);
                ids.insert(created->id);
                usns.insert(created->usn);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
    EXPECT_EQ(usns.size(), static_cast<std::size_t>(kThreads * kPerThread));
    // Every batch stored the last usn it handed out.
    EXPECT_EQ(*store_->highest_usn(), *usns.rbegin());
}

TEST_P(StoreContract, ReadsInARoundSeeEveryWriteAcknowledgedBeforeThem)
{
    auto first = store_->create_session(running(), nullptr);
    ASSERT_TRUE(first);
    store_->begin_read_round();
    ASSERT_TRUE(store_->get_session(first->id)); // the round's reads have begun
    // Writes acknowledged to another thread while the round is open: a new session and a change of the first.
    std::optional<domain::JobSession> created;
    std::optional<domain::JobSession> changed;
    std::thread writer([&] {
        auto c = store_->create_session(running(SessionType::HealthCheck), nullptr);
        ASSERT_TRUE(c);
        created = *c;
        auto next = *first;
        next.status = SessionStatus::Success;
        next.stop_time = first->start_time + 5'000'000;
        auto r = store_->replace_session(next, first->usn, nullptr);
        ASSERT_TRUE(r);
        changed = *r;
    });
    writer.join();
    ASSERT_TRUE(created && changed);
    auto read_created = store_->get_session(created->id);
    ASSERT_TRUE(read_created);
    EXPECT_EQ(*read_created, *created);
    auto read_changed = store_->get_session(first->id);
    ASSERT_TRUE(read_changed);
    EXPECT_EQ(read_changed->status, SessionStatus::Success);
    EXPECT_EQ(read_changed->usn, changed->usn);
    EXPECT_EQ(*store_->highest_usn(), changed->usn);
    // And a write of this thread's own, in the same round.
    auto own = store_->create_session(running(), nullptr);
    ASSERT_TRUE(own);
    EXPECT_TRUE(store_->get_session(own->id));
    store_->end_read_round();
    EXPECT_TRUE(store_->get_session(own->id));
}

TEST_P(StoreContract, DataSurvivesReopening)
{
    auto created = store_->create_session(running(), nullptr);
    ASSERT_TRUE(created);
    store_.reset();
    store_ = GetParam().open(dir_);
    auto read = store_->get_session(created->id);
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, *created);
    auto next = store_->create_session(running(), nullptr);
    ASSERT_TRUE(next);
    EXPECT_GT(next->usn, created->usn);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, contract_backends(), backend_name);

} // namespace
} // namespace jobsessions::store
