// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's batched writes on a real server: many writers at once share commits, a write that fails
// inside a batch is rolled back alone (also one that had written before it failed), and every usn handed out is
// unique and visible in order.
#include "jobsessions/store/postgres/pg_store.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

class PostgresWriter : public test::PostgresDatabaseTest {};

NewSession running()
{
    NewSession s;
    s.status = domain::SessionStatus::Running;
    s.start_time = 1'700'000'000'000'000;
    return s;
}

TEST_F(PostgresWriter, AFailingWriteInABatchIsRolledBackAloneAndTheOthersCommit)
{
    auto opened = PgStore::open(conninfo_, 8);
    ASSERT_TRUE(opened);
    auto& store = **opened;
    auto target = store.create_session(running(), nullptr);
    ASSERT_TRUE(target);

    constexpr int kThreads = 8;
    constexpr int kWrites = 60;
    std::atomic<int> failures{0};
    std::atomic<int> conflicts{0};
    std::vector<std::vector<std::int64_t>> usns(kThreads);
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < kWrites; ++i) {
                if (i % 5 == 0) {
                    // A change from a usn long gone: refused inside whatever batch it lands in.
                    auto stale = *target;
                    stale.status = domain::SessionStatus::Success;
                    auto refused = store.replace_session(stale, target->usn - 1, nullptr);
                    conflicts += !refused && refused.error().code == StoreErrc::Conflict ? 1 : 0;
                    continue;
                }
                auto created = store.create_session(running(), nullptr);
                if (!created) {
                    ++failures;
                    continue;
                }
                usns[static_cast<std::size_t>(t)].push_back(created->usn);
                auto logged =
                    store.append_log(created->id, {NewLogEntry{1, domain::SessionStatus::Success, "x", 0, 0}}, nullptr);
                failures += logged ? 0 : 1;
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(conflicts.load(), kThreads * kWrites / 5);

    // Each writer's usns rise, and no usn was given twice.
    std::set<std::int64_t> all;
    for (const auto& mine : usns) {
        EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
        all.insert(mine.begin(), mine.end());
    }
    const auto created = static_cast<std::size_t>(kThreads * kWrites * 4 / 5);
    EXPECT_EQ(all.size(), created);
    // The refused changes left the target as it was; the change feed holds every created session once, in order.
    EXPECT_EQ(store.get_session(target->id)->usn, target->usn);
    auto changes = store.changed_sessions(target->usn, 10'000, std::nullopt);
    ASSERT_TRUE(changes);
    EXPECT_EQ(changes->size(), created);
    EXPECT_TRUE(
        std::is_sorted(changes->begin(), changes->end(), [](const auto& a, const auto& b) { return a.usn < b.usn; }));
    EXPECT_EQ(*store.highest_usn(), changes->back().usn);
    // What is written next follows (the usn counter was written back after each batch).
    auto next = store.create_session(running(), nullptr);
    ASSERT_TRUE(next);
    EXPECT_GT(next->usn, changes->back().usn);
}

TEST_F(PostgresWriter, AWriteThatFailsAfterWritingLeavesNothingAndTheOthersInItsBatchCommit)
{
    auto opened = PgStore::open(conninfo_, 8);
    ASSERT_TRUE(opened);
    auto& store = **opened;
    // A key already recorded: a creation with it inserts its session, then fails on the key.
    IdempotencyWrite taken;
    taken.user_id = 1;
    taken.key = "taken";
    taken.request_hash = "hash";
    taken.status_code = 201;
    auto first = store.create_session(running(), &taken);
    ASSERT_TRUE(first);

    constexpr int kThreads = 8;
    constexpr int kWrites = 80;
    std::atomic<int> failures{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> writers;
    writers.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < kWrites; ++i) {
                // Failing writes come in runs and alone, so that batches both with and without savepoints meet them.
                const bool fails = (i / 20) % 2 == 0 ? i % 3 == 0 : i == 50 + t;
                auto created = store.create_session(running(), fails ? &taken : nullptr);
                if (fails) {
                    conflicts += !created && created.error().code == StoreErrc::Conflict ? 1 : 0;
                } else {
                    failures += created ? 0 : 1;
                }
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }
    int expected_conflicts = 0;
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kWrites; ++i) {
            expected_conflicts += ((i / 20) % 2 == 0 ? i % 3 == 0 : i == 50 + t) ? 1 : 0;
        }
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(conflicts.load(), expected_conflicts);

    // Only the creations that succeeded are there: in the change feed, and in the kept count of every session.
    const auto created = static_cast<std::size_t>(kThreads * kWrites - expected_conflicts);
    auto changes = store.changed_sessions(first->usn, 10'000, std::nullopt);
    ASSERT_TRUE(changes);
    EXPECT_EQ(changes->size(), created);
    std::set<std::int64_t> usns;
    for (const auto& s : *changes) {
        usns.insert(s.usn);
    }
    EXPECT_EQ(usns.size(), created);
    auto page = store.list_session_keys(SessionFilter{}, 0, 1);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total_count, static_cast<std::int64_t>(created) + 1);
    EXPECT_EQ(*store.highest_usn(), changes->back().usn);
}

TEST_F(PostgresWriter, RetentionDeletingSessionsWhileTheyAreAppendedToLeavesNoEntryBehind)
{
    auto opened = PgStore::open(conninfo_, 8);
    ASSERT_TRUE(opened);
    auto& store = **opened;
    // Sessions that have stopped but are not final: retention takes them, and appends are still taken.
    constexpr int kSessions = 300;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < kSessions; ++i) {
        auto s = running();
        s.stop_time = s.start_time + 1;
        auto created = store.create_session(s, nullptr);
        ASSERT_TRUE(created);
        ids.push_back(created->id);
    }
    std::atomic<bool> swept{false};
    std::atomic<int> appended{0};
    std::vector<std::thread> appenders;
    appenders.reserve(4);
    for (int t = 0; t < 4; ++t) {
        appenders.emplace_back([&, t] {
            for (std::size_t i = static_cast<std::size_t>(t); !swept; i = (i + 7) % ids.size()) {
                auto logged = store.append_log(ids[i], std::vector<NewLogEntry>(5, NewLogEntry{}), nullptr);
                appended += logged ? 1 : 0;
            }
        });
    }
    std::int64_t deleted = 0;
    while (deleted < kSessions) {
        auto batch = store.delete_old_sessions(std::nullopt, running().start_time + 10, 10);
        ASSERT_TRUE(batch) << batch.error().message;
        deleted += batch->sessions;
    }
    swept = true;
    for (auto& appender : appenders) {
        appender.join();
    }
    EXPECT_GT(appended.load(), 0);
    // No entry outlived its session.
    auto db = Connection::open(conninfo_);
    ASSERT_TRUE(db);
    auto left = (*db)->exec("SELECT count(*) FROM log_entries");
    ASSERT_TRUE(left);
    EXPECT_EQ(left->int64(0, 0), 0);
}

} // namespace
} // namespace jobsessions::store::postgres
