// SPDX-License-Identifier: Apache-2.0
// The group-commit writer: many writes share one transaction and several share one savepoint, yet a failing write
// rolls back alone and the others of its batch land, each once, with what they counted.
#include "jobsessions/store/sqlite/writer.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::store::sqlite {
namespace {

// A new database in WAL mode with the table `t` the writes of these tests insert into; null on failure.
std::unique_ptr<Connection> open_with_table(const std::string& path)
{
    auto connection = Connection::open(path, true);
    if (!connection) {
        ADD_FAILURE() << connection.error().message;
        return nullptr;
    }
    // Synced commits, as the store opens its writer's connection.
    if (auto created =
            (*connection)
                ->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (k INTEGER PRIMARY KEY);");
        !created) {
        ADD_FAILURE() << created.error().message;
        return nullptr;
    }
    return std::move(*connection);
}

Result<void> insert(Connection& db, int k)
{
    auto statement = db.prepare_owned("INSERT INTO t (k) VALUES (?)");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, std::int64_t{k});
    return statement->run();
}

std::set<std::int64_t> stored_keys(const std::string& path)
{
    std::set<std::int64_t> stored;
    auto db = Connection::open(path, false);
    if (!db) {
        ADD_FAILURE() << db.error().message;
        return stored;
    }
    auto rows = (*db)->prepare_owned("SELECT k FROM t");
    if (!rows) {
        ADD_FAILURE() << rows.error().message;
        return stored;
    }
    for (auto row = rows->step(); row && *row; row = rows->step()) {
        stored.insert(rows->column_int64(0));
    }
    return stored;
}

// Runs `jobs` in one batch, in their order: a first write holds the writer until all of them are queued.
void run_in_one_batch(Writer& writer, std::vector<WriteJob>& jobs)
{
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
    std::vector<std::thread> threads;
    for (auto& job : jobs) {
        threads.emplace_back([&] { writer.run(job); });
        while (writer.queued() < threads.size()) {
            std::this_thread::yield();
        }
    }
    release.set_value();
    holder_thread.join();
    for (auto& thread : threads) {
        thread.join();
    }
}

TEST(Writer, AFailingWriteRollsBackAloneAndTheOthersOfItsBatchLandOnce)
{
    test::TempDir dir;
    const auto path = dir.file("writer.db");
    auto connection = open_with_table(path);
    ASSERT_TRUE(connection);

    // Like the store's counts: each write counts in memory, and what the kept savepoints counted adds up.
    int counting = 0; // the writer's thread only
    int counted = 0;
    BatchHooks hooks;
    hooks.begun = [&] { counting = 0; };
    hooks.jobs_ended = [&](bool kept) {
        counted += kept ? counting : 0;
        counting = 0;
    };
    Writer writer(std::move(connection), hooks);

    constexpr int kWrites = 40;
    const auto fails = [](int k) { return k % 13 == 5; }; // 5, 18, 31: in the first, second and third savepoint
    std::vector<WriteJob> jobs(kWrites);
    std::vector<int> runs(kWrites, 0);
    for (int k = 0; k < kWrites; ++k) {
        jobs[k].body = [&, k](Connection& db) -> Result<void> {
            ++runs[k];
            if (auto inserted = insert(db, k); !inserted) {
                return inserted;
            }
            ++counting;
            if (fails(k)) {
                return StoreError{StoreErrc::Conflict, "refused after writing"};
            }
            return {};
        };
    }
    run_in_one_batch(writer, jobs);

    const auto stored = stored_keys(path);
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

// A write that leaves its savepoint in a state that cannot be rolled back (here: it releases the savepoint
// itself) takes its whole batch with it: none of it is written, and every write of it is told.
TEST(Writer, AWriteThatCannotBeRolledBackFailsItsWholeBatch)
{
    test::TempDir dir;
    const auto path = dir.file("writer.db");
    auto connection = open_with_table(path);
    ASSERT_TRUE(connection);
    Writer writer(std::move(connection));
    std::vector<WriteJob> jobs(3);
    for (int k = 0; k < 3; ++k) {
        jobs[k].body = [k](Connection& db) -> Result<void> {
            if (auto inserted = insert(db, k); !inserted) {
                return inserted;
            }
            if (k == 1) {
                return db.exec("RELEASE job");
            }
            return {};
        };
    }
    run_in_one_batch(writer, jobs);
    for (const auto& job : jobs) {
        EXPECT_FALSE(job.outcome.has_value());
    }
    EXPECT_TRUE(stored_keys(path).empty());
}

// Reads into `level` how the connection syncs commits, seen from inside a write: 2 for FULL (an fsync per commit),
// 1 for NORMAL.
Result<void> read_sync_level(Connection& db, std::int64_t& level)
{
    auto statement = db.prepare_owned("PRAGMA synchronous");
    if (!statement) {
        return statement.error();
    }
    auto row = statement->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return StoreError{StoreErrc::Unavailable, "PRAGMA synchronous gave no row"};
    }
    level = statement->column_int64(0);
    return {};
}

// Writes that need not be synced, queued among synced ones, run after them in a transaction committed without an
// fsync; the next synced writes are synced again.
TEST(Writer, UnsyncedWritesRunAfterTheSyncedOnesOfTheirBatchAndCommitWithoutAnFsync)
{
    test::TempDir dir;
    const auto path = dir.file("writer.db");
    auto connection = open_with_table(path);
    ASSERT_TRUE(connection);
    Writer writer(std::move(connection));
    // The metrics see the synced batches only: what writes wait for the disk.
    struct CountingObserver : WriteObserver {
        std::vector<std::size_t> batches; // the writer's thread only, read once it is done
        void batch_committed(std::size_t writes, std::chrono::nanoseconds /*took*/) noexcept override
        {
            batches.push_back(writes);
        }
    } observer;
    writer.observe(&observer);

    std::vector<WriteJob> jobs(4);
    std::vector<int> order; // the writer's thread only, read once it is done
    std::vector<std::int64_t> levels(jobs.size(), 0);
    for (int k = 0; k < 4; ++k) {
        jobs[k].synced = k % 2 == 1; // queued: unsynced, synced, unsynced, synced
        jobs[k].body = [&, k](Connection& db) -> Result<void> {
            order.push_back(k);
            if (auto read = read_sync_level(db, levels[k]); !read) {
                return read;
            }
            return insert(db, k);
        };
    }
    run_in_one_batch(writer, jobs);

    EXPECT_EQ(order, (std::vector<int>{1, 3, 0, 2}));
    EXPECT_EQ(levels, (std::vector<std::int64_t>{1, 2, 1, 2}));
    for (const auto& job : jobs) {
        EXPECT_TRUE(job.outcome.has_value());
    }
    EXPECT_EQ(stored_keys(path), (std::set<std::int64_t>{0, 1, 2, 3}));
    // The write holding the writer, then the two synced ones of the batch.
    EXPECT_EQ(observer.batches, (std::vector<std::size_t>{1, 2}));

    std::int64_t level_after = 0;
    WriteJob after;
    after.body = [&](Connection& db) { return read_sync_level(db, level_after); };
    writer.run(after);
    ASSERT_TRUE(after.outcome.has_value());
    EXPECT_EQ(level_after, 2) << "a synced write after unsynced ones is synced again";
    writer.observe(nullptr);
}

} // namespace
} // namespace jobsessions::store::sqlite
