// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's batched writes on a real server: many writers at once share commits, a write that fails
// inside a batch is rolled back alone, and every usn handed out is unique and visible in order.
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

} // namespace
} // namespace jobsessions::store::postgres
