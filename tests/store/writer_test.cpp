// SPDX-License-Identifier: Apache-2.0
// The group-commit writer: many writes share one transaction and several share one savepoint, yet a failing write
// rolls back alone and the others of its batch land, each once, with what they counted.
#include "jobsessions/store/sqlite/writer.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>
#include <vector>

namespace jobsessions::store::sqlite {
namespace {

TEST(Writer, AFailingWriteRollsBackAloneAndTheOthersOfItsBatchLandOnce)
{
    test::TempDir dir;
    const auto path = dir.file("writer.db");
    auto connection = Connection::open(path, true);
    ASSERT_TRUE(connection);
    ASSERT_TRUE((*connection)->exec("PRAGMA journal_mode = WAL; CREATE TABLE t (k INTEGER PRIMARY KEY);"));

    // Like the store's counts: each write counts in memory, and what the kept savepoints counted adds up.
    int counting = 0; // the writer's thread only
    int counted = 0;
    BatchHooks hooks;
    hooks.begun = [&] { counting = 0; };
    hooks.jobs_ended = [&](bool kept) {
        counted += kept ? counting : 0;
        counting = 0;
    };
    Writer writer(std::move(*connection), hooks);

    // A first write holds the writer, so that the others queue up and go in one batch.
    std::promise<void> release;
    std::atomic<bool> holding{false};
    WriteJob holder;
    holder.body = [&, released = release.get_future().share()](Connection&) -> Result<void> {
        holding = true;
        released.wait();
        return {};
    };
    std::thread holder_thread([&] { writer.run(holder); });
    while (!holding) {
        std::this_thread::yield();
    }

    constexpr int kWrites = 40;
    const auto fails = [](int k) { return k % 13 == 5; }; // 5, 18, 31: in the first, second and third savepoint
    std::vector<WriteJob> jobs(kWrites);
    std::vector<int> runs(kWrites, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < kWrites; ++k) {
        jobs[k].body = [&, k](Connection& db) -> Result<void> {
            ++runs[k];
            auto insert = db.prepare_owned("INSERT INTO t (k) VALUES (?)");
            if (!insert) {
                return insert.error();
            }
            insert->bind(1, std::int64_t{k});
            if (auto done = insert->run(); !done) {
                return done;
            }
            ++counting;
            if (fails(k)) {
                return StoreError{StoreErrc::Conflict, "refused after writing"};
            }
            return {};
        };
        threads.emplace_back([&, k] { writer.run(jobs[k]); });
        while (writer.queued() < static_cast<std::size_t>(k + 1)) { // in the queue in this order
            std::this_thread::yield();
        }
    }
    release.set_value();
    holder_thread.join();
    for (auto& thread : threads) {
        thread.join();
    }

    std::set<std::int64_t> stored;
    {
        auto db = Connection::open(path, false);
        ASSERT_TRUE(db);
        auto rows = (*db)->prepare_owned("SELECT k FROM t");
        ASSERT_TRUE(rows);
        for (auto row = rows->step(); row && *row; row = rows->step()) {
            stored.insert(rows->column_int64(0));
        }
    }
    int kept = 0;
    for (int k = 0; k < kWrites; ++k) {
        EXPECT_EQ(jobs[k].outcome.has_value(), !fails(k)) << k;
        EXPECT_EQ(stored.count(k), fails(k) ? 0U : 1U) << k;
        EXPECT_LE(runs[k], 2) << k;
        kept += fails(k) ? 0 : 1;
    }
    EXPECT_EQ(counted, kept);
    EXPECT_EQ(runs[0], 2) << "a write sharing a savepoint with a failing one runs again under its own";
}

} // namespace
} // namespace jobsessions::store::sqlite
