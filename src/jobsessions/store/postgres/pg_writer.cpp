// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/pg_writer.hpp"

#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

constexpr const char* kSavepoint = "SAVEPOINT write";
constexpr const char* kReleaseSavepoint = "RELEASE SAVEPOINT write";
constexpr const char* kRollbackToSavepoint = "ROLLBACK TO SAVEPOINT write";

} // namespace

PgWriter::PgWriter(std::string conninfo)
    : conninfo_(std::move(conninfo))
    , thread_([this] { loop(); })
{
}

PgWriter::~PgWriter()
{
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    queued_.notify_all();
    thread_.join();
}

Result<void> PgWriter::run(std::function<Result<void>(Connection&)> body, std::int64_t new_sessions)
{
    auto job = std::make_shared<Job>();
    job->body = std::move(body);
    job->new_sessions = new_sessions;
    std::unique_lock lock(mutex_);
    queue_.push_back(job);
    queued_.notify_one();
    done_.wait(lock, [&] { return job->outcome.has_value(); });
    return std::move(*job->outcome);
}

void PgWriter::loop()
{
    util::name_this_thread("pg-writer");
    std::unique_lock lock(mutex_);
    for (;;) {
        queued_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) {
            return; // stopping, and nothing waits
        }
        std::deque<std::shared_ptr<Job>> batch;
        while (!queue_.empty() && batch.size() < kMaxBatch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();
        commit_batch(batch);
        lock.lock();
        done_.notify_all();
    }
}

void PgWriter::commit_batch(std::deque<std::shared_ptr<Job>>& batch)
{
    const auto started = std::chrono::steady_clock::now();
    // Outcomes are given only once the batch has committed (or failed), never before.
    std::vector<Result<void>> outcomes;
    outcomes.reserve(batch.size());
    const auto give = [&](const std::optional<StoreError>& failure) {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            batch[i]->outcome = failure ? Result<void>(*failure) : std::move(outcomes[i]);
        }
    };
    if (!connection_ || !connection_->still_open()) { // idle since the last batch: the server may have ended it
        connection_.reset();
        auto opened = Connection::open(conninfo_);
        if (!opened) {
            give(opened.error());
            return;
        }
        connection_ = std::move(*opened);
    }
    Connection& db = *connection_;
    auto committed = try_batch(db, batch, with_savepoints_, outcomes);
    if (committed && !*committed) {
        // A write failed with nothing between the writes: the batch again, each write behind a savepoint.
        outcomes.clear();
        db.notes() = TransactionNotes{}; // nothing deferred is sent
        if (auto rolled_back = db.exec("ROLLBACK"); !rolled_back) {
            give(rolled_back.error());
            return;
        }
        with_savepoints_ = true;
        committed = try_batch(db, batch, true, outcomes);
    }
    if (!committed) {
        give(committed.error()); // a broken connection: still_open() drops it before the next batch
        return;
    }
    if (with_savepoints_) {
        with_savepoints_ = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return !o; });
    }
    if (auto* observer = observer_.load(std::memory_order_acquire)) {
        observer->batch_committed(batch.size(), std::chrono::steady_clock::now() - started);
    }
    give(std::nullopt);
}

Result<bool> PgWriter::try_batch(Connection& db, const std::deque<std::shared_ptr<Job>>& batch, bool savepoints,
                                 std::vector<Result<void>>& outcomes)
{
    // The usn counter first: the batches of servers sharing the database then take their locks in one order, and
    // never wait for each other in a cycle. Its usns are counted in memory and written back once, and the ids of
    // the sessions the batch creates are reserved in the same round trip.
    db.notes() = TransactionNotes{};
    std::int64_t new_sessions = 0;
    for (const auto& job : batch) {
        new_sessions += job->new_sessions;
    }
    if (auto locked = begin_usn_batch(db, new_sessions); !locked) {
        return locked.error();
    }
    // Without savepoints, what the writes defer goes with the next statement, at the latest with COMMIT: a batch of
    // creations is two round trips. With savepoints, each write runs after one, and a write that fails, itself or
    // by what it deferred, is rolled back to it alone: its deferred statements are sent with the savepoint's
    // release and the next one's, in one round trip.
    if (savepoints) {
        if (auto saved = db.exec_prepared(kSavepoint); !saved) {
            return saved.error();
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!savepoints) {
            auto outcome = batch[i]->body(db);
            if (!outcome || db.notes().deferred_failed) {
                return false;
            }
            outcomes.push_back(std::move(outcome));
            continue;
        }
        const TransactionNotes before = db.notes();
        auto outcome = batch[i]->body(db);
        if (outcome) {
            auto moved = db.exec_pipelined({Statement{kReleaseSavepoint, {}}, Statement{kSavepoint, {}}});
            if (!moved && !db.notes().deferred_failed) {
                return moved.error();
            }
            if (!moved) {
                outcome = moved.error();
            }
        }
        if (!outcome) {
            db.notes() = before; // nothing it did stays, its usns and session ids included
            // The savepoint stays, for the next write.
            if (auto rolled_back = db.exec_prepared(kRollbackToSavepoint); !rolled_back) {
                return rolled_back.error();
            }
        }
        outcomes.push_back(std::move(outcome));
    }
    if (auto committed = commit_transaction(db); !committed) {
        if (db.notes().deferred_failed && !savepoints) {
            return false; // a write's deferred statement failed: the batch again, with savepoints
        }
        return committed.error();
    }
    return true;
}

} // namespace jobsessions::store::postgres
