// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/connection.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace jobsessions::store::sqlite {

/// One write waiting for the writer thread.
struct WriteJob {
    /// Runs inside the batch's transaction, under its own savepoint: an error rolls back this job only.
    std::function<Result<void>(Connection&)> body;
    /// Set by the writer: success only once the whole batch is committed and on disk.
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
    /// After each job: `kept` unless it was rolled back to its savepoint.
    std::function<void(bool kept)> job_ended;
    /// Right before it commits; a failure fails the whole batch.
    std::function<Result<void>(Connection&)> committing;
};

/// The single writer of an SQLite database. Callers queue jobs; the writer thread runs every queued job in one
/// transaction (group commit), so one fsync acknowledges many writes. Thread-safe.
class Writer {
public:
    /// Takes ownership of the write connection and starts the writer thread.
    explicit Writer(std::unique_ptr<Connection> connection, BatchHooks hooks = {});
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// Queues `job` and blocks until it is committed (or failed).
    void run(WriteJob& job);

    /// Finishes the queued jobs, then stops the thread; later jobs fail with Unavailable.
    void stop();

    /// How many batches have committed so far. It grows before any write of a batch is acknowledged, so a reader
    /// that sees the same number as when its read transaction began has missed no acknowledged write.
    [[nodiscard]] std::uint64_t commits() const noexcept { return commits_.load(std::memory_order_acquire); }

private:
    void loop();
    void run_batch(std::vector<WriteJob*>& batch);

    std::unique_ptr<Connection> connection_;
    BatchHooks hooks_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<WriteJob*> queue_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> commits_{0};
    std::thread thread_;
};

} // namespace jobsessions::store::sqlite
