// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace jobsessions::store::postgres {

/// Group commit: the writes that take usns run one after another on one connection of the writer's own, as many
/// as are waiting in one transaction, each inside a savepoint (a write that fails is rolled back alone), and the
/// transaction commits once for all of them. A write returns after that commit: durable with the server's
/// synchronous_commit, at the cost of one WAL flush per batch rather than per write. The usn counter row stays
/// locked by the batch until its commit, so usns still become visible in order, and a write waits for no other
/// connection's lock on it. Thread-safe.
class PgWriter {
public:
    /// Most writes in one transaction: each write is a subtransaction, and past 64 of them PostgreSQL's
    /// snapshots overflow their cache of subtransaction ids, which slows every reader down.
    static constexpr std::size_t kMaxBatch = 64;

    explicit PgWriter(std::string conninfo);
    ~PgWriter();
    PgWriter(const PgWriter&) = delete;
    PgWriter& operator=(const PgWriter&) = delete;

    /// Runs `body(connection)` in the next batch and returns its result once the batch committed: its value, its
    /// error (then nothing it did stays), or the commit's error.
    template <class T> Result<T> write(const std::function<Result<T>(Connection&)>& body);

    /// Tells `observer` of every batch committed from now on (null: nobody).
    void observe(WriteObserver* observer) noexcept { observer_.store(observer, std::memory_order_release); }

private:
    struct Job {
        std::function<Result<void>(Connection&)> body;
        std::optional<Result<void>> outcome;
    };

    /// Queues `body` and waits for its batch; the body's error, or the commit's.
    Result<void> run(std::function<Result<void>(Connection&)> body);
    void loop();
    /// Runs a batch in one transaction and gives each job its outcome.
    void commit_batch(std::deque<std::shared_ptr<Job>>& batch);

    const std::string conninfo_;
    std::unique_ptr<Connection> connection_;
    std::atomic<WriteObserver*> observer_{nullptr};
    std::mutex mutex_;
    std::condition_variable queued_;
    std::condition_variable done_;
    std::deque<std::shared_ptr<Job>> queue_;
    bool stop_ = false;
    std::thread thread_;
};

template <class T> Result<T> PgWriter::write(const std::function<Result<T>(Connection&)>& body)
{
    std::optional<Result<T>> result;
    auto ran = run([&](Connection& db) -> Result<void> {
        result.emplace(body(db));
        if (!*result) {
            return result->error();
        }
        return {};
    });
    if (!ran) {
        // The body's own error, or (it succeeded) the commit's.
        return result && !*result ? std::move(*result) : Result<T>(ran.error());
    }
    return std::move(*result);
}

} // namespace jobsessions::store::postgres
