// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace jobsessions::store::postgres {

/// Group commit: the writes that take usns run one after another on one connection of the writer's own, as many
/// as are waiting in one transaction, and the transaction commits once for all of them. A write returns after that
/// commit: durable with the server's synchronous_commit, at the cost of one WAL flush per batch rather than per
/// write. The usn counter row stays locked by the batch until its commit, so usns still become visible in order,
/// and a write waits for no other connection's lock on it. Thread-safe.
///
/// Round trips are what a batch's transaction, holding the counter, spends most of its time on: the statements a
/// write runs for no rows (Connection::defer) go with the next one, and the ids of new sessions are reserved with
/// the counter's lock, so that a batch of creations is two round trips whatever its size.
///
/// A write that fails leaves nothing, and the others in its batch still commit. Writes rarely fail, so a batch
/// first runs with nothing between its writes; when one fails (itself, or a statement it deferred), the
/// transaction is rolled back and the batch runs again with a savepoint before each write, rolled back to alone
/// when its write fails. A savepoint costs a round trip per write, which halves the rate of small writes. The batch
/// after one that had a failure runs with savepoints too, until a batch has none: a stream of failing writes does
/// not make every batch run twice.
class PgWriter {
public:
    /// Most writes in one transaction: with savepoints each write is a subtransaction, and past 64 of them
    /// PostgreSQL's snapshots overflow their cache of subtransaction ids, which slows every reader down.
    static constexpr std::size_t kMaxBatch = 64;

    explicit PgWriter(std::string conninfo);
    ~PgWriter();
    PgWriter(const PgWriter&) = delete;
    PgWriter& operator=(const PgWriter&) = delete;

    /// Runs `body(connection)` in the next batch and returns its result once the batch committed: its value, its
    /// error (then nothing it did stays), or the commit's error.
    /// `new_sessions`: how many sessions it creates, whose ids the batch reserves in its first round trip.
    template <class T>
    Result<T> write(const std::function<Result<T>(Connection&)>& body, std::int64_t new_sessions = 0);

    /// Tells `observer` of every batch committed from now on (null: nobody).
    void observe(WriteObserver* observer) noexcept { observer_.store(observer, std::memory_order_release); }

private:
    struct Job {
        std::function<Result<void>(Connection&)> body;
        std::int64_t new_sessions = 0;
        std::optional<Result<void>> outcome;
    };

    /// Queues `body` and waits for its batch; the body's error, or the commit's.
    Result<void> run(std::function<Result<void>(Connection&)> body, std::int64_t new_sessions);
    void loop();
    /// Runs a batch in one transaction and gives each job its outcome.
    void commit_batch(std::deque<std::shared_ptr<Job>>& batch);
    /// Runs the batch's writes in one transaction and commits it, each write's outcome added to `outcomes`. Without
    /// savepoints, stops at the first write that fails and answers false: nothing is committed, and the transaction
    /// is left for the caller to roll back. An error: the connection's, which every write of the batch answers.
    Result<bool> try_batch(Connection& db, const std::deque<std::shared_ptr<Job>>& batch, bool savepoints,
                           std::vector<Result<void>>& outcomes);

    const std::string conninfo_;
    std::unique_ptr<Connection> connection_;
    /// Whether the next batch runs with savepoints (the last one had a write that failed). Writer thread only.
    bool with_savepoints_ = false;
    std::atomic<WriteObserver*> observer_{nullptr};
    std::mutex mutex_;
    std::condition_variable queued_;
    std::condition_variable done_;
    std::deque<std::shared_ptr<Job>> queue_;
    bool stop_ = false;
    std::thread thread_;
};

template <class T>
Result<T> PgWriter::write(const std::function<Result<T>(Connection&)>& body, std::int64_t new_sessions)
{
    std::optional<Result<T>> result;
    auto ran = run(
        [&](Connection& db) -> Result<void> {
            result.emplace(body(db));
            if (!*result) {
                return result->error();
            }
            return {};
        },
        new_sessions);
    if (!ran) {
        // The body's own error, or (it succeeded) the commit's.
        return result && !*result ? std::move(*result) : Result<T>(ran.error());
    }
    return std::move(*result);
}

} // namespace jobsessions::store::postgres
