// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace jobsessions::store::sqlite {

/// One write waiting for the writer thread.
struct WriteJob {
    /// Runs inside the batch's transaction, under a savepoint: an error rolls back this job only. It may run twice
    /// (when another job under the same savepoint failed), so it changes nothing but the database and the
    /// batch's counters and keeps its inputs.
    std::function<Result<void>(Connection&)> body;
    /// Whether it is acknowledged only once on disk. A job that is not runs in a transaction of its own after the
    /// synced ones it was queued with, committed without an fsync: a crash of the process loses nothing, a crash of
    /// the machine may lose it, though never before a later synced commit (the log is written in order). Only for
    /// writes that can be made again from what synced ones stored.
    bool synced = true;
    /// Set by the writer: success only once the whole batch is committed, and on disk when `synced`.
    Result<void> outcome;
    /// Called by the writer when `outcome` is final.
    void finish();
    /// Blocks until finish().
    void wait();

private:
    // A mutex and a condition variable rather than a semaphore: libstdc++'s semaphore spins with sched_yield
    // before it sleeps, which on a loaded core takes turns from the writer the waiter is waiting for.
    std::mutex mutex_;
    std::condition_variable finished_cv_;
    bool finished_ = false;
};

/// What a store does around each batch, on the writer thread.
struct BatchHooks {
    /// Right after the batch's transaction begins.
    std::function<void()> begun;
    /// After the jobs of each savepoint (several jobs share one): `kept` unless they were rolled back to it, in
    /// which case each of them runs again under a savepoint of its own.
    std::function<void(bool kept)> jobs_ended;
    /// Right before it commits; a failure fails the whole batch.
    std::function<Result<void>(Connection&)> committing;
};

/// The single writer of an SQLite database. Callers queue jobs; the writer thread runs every queued job in one
/// transaction (group commit), so one fsync acknowledges many writes. Thread-safe.
class Writer {
public:
    /// Takes ownership of the write connection, whose commits are synced (`PRAGMA synchronous = FULL`), and starts
    /// the writer thread.
    explicit Writer(std::unique_ptr<Connection> connection, BatchHooks hooks = {});
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// Queues `job` and blocks until it is committed (or failed).
    void run(WriteJob& job);

    /// Finishes the queued jobs, then stops the thread; later jobs fail with Unavailable.
    void stop();

    /// Tells `observer` of every synced batch committed from now on (null: nobody).
    void observe(WriteObserver* observer) noexcept { observer_.store(observer, std::memory_order_release); }

    /// How many jobs wait for the next batch (for tests).
    [[nodiscard]] std::size_t queued();

    /// How many batches have committed so far. It grows before any write of a batch is acknowledged, so a reader
    /// that sees the same number as when its read transaction began has missed no acknowledged write.
    [[nodiscard]] std::uint64_t commits() const noexcept { return commits_.load(std::memory_order_acquire); }

private:
    void loop();
    /// Runs `batch` in one transaction, committed with an fsync when `synced`.
    void run_batch(std::span<WriteJob*> batch, bool synced);
    /// Sets whether commits are synced (`PRAGMA synchronous` FULL or NORMAL), when it is not already.
    Result<void> sync_commits(bool synced);
    enum class Savepoint {
        Kept,
        /// One of its jobs failed: all of them were rolled back.
        RolledBack,
        /// One failed and the savepoint could not be rolled back: the batch's transaction must go.
        Broken,
    };
    /// Runs `jobs` under one savepoint.
    Savepoint run_under_savepoint(std::span<WriteJob*> jobs);

    std::unique_ptr<Connection> connection_;
    BatchHooks hooks_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<WriteJob*> queue_;
    bool stopping_ = false;
    /// Whether the writer's commits are synced now; the writer thread's own.
    bool commits_synced_ = true;
    std::atomic<std::uint64_t> commits_{0};
    std::atomic<WriteObserver*> observer_{nullptr};
    std::thread thread_;
};

} // namespace jobsessions::store::sqlite
