// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/connection.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

namespace jobsessions::store::sqlite {

/// One write waiting for the writer thread.
struct WriteJob {
    /// Runs inside the batch's transaction, under its own savepoint: an error rolls back this job only.
    std::function<Result<void>(Connection&)> body;
    /// Set by the writer: success only once the whole batch is committed and on disk.
    Result<void> outcome;
    /// Released by the writer when `outcome` is final.
    std::binary_semaphore done{0};
};

/// The single writer of an SQLite database. Callers queue jobs; the writer thread runs every queued job in one
/// transaction (group commit), so one fsync acknowledges many writes. Thread-safe.
class Writer {
public:
    /// Takes ownership of the write connection and starts the writer thread.
    explicit Writer(std::unique_ptr<Connection> connection);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// Queues `job` and blocks until it is committed (or failed).
    void run(WriteJob& job);

    /// Finishes the queued jobs, then stops the thread; later jobs fail with Unavailable.
    void stop();

private:
    void loop();
    void run_batch(std::vector<WriteJob*>& batch);

    std::unique_ptr<Connection> connection_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<WriteJob*> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace jobsessions::store::sqlite
