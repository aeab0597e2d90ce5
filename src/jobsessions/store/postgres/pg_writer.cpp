// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/pg_writer.hpp"

#include "jobsessions/store/postgres/schema.hpp"

#include <chrono>
#include <utility>
#include <vector>

namespace jobsessions::store::postgres {

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

Result<void> PgWriter::run(std::function<Result<void>(Connection&)> body)
{
    auto job = std::make_shared<Job>();
    job->body = std::move(body);
    std::unique_lock lock(mutex_);
    queue_.push_back(job);
    queued_.notify_one();
    done_.wait(lock, [&] { return job->outcome.has_value(); });
    return std::move(*job->outcome);
}

void PgWriter::loop()
{
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
    if (!connection_ || !connection_->healthy()) {
        connection_.reset();
        auto opened = Connection::open(conninfo_);
        if (!opened) {
            give(opened.error());
            return;
        }
        connection_ = std::move(*opened);
    }
    Connection& db = *connection_;
    if (auto begun = db.exec("BEGIN"); !begun) {
        give(begun.error());
        return;
    }
    // The usn counter first: the batches of servers sharing the database then take their locks in one order, and
    // never wait for each other in a cycle. Its usns are counted in memory and written back once.
    db.notes() = TransactionNotes{};
    if (auto locked = begin_usn_batch(db); !locked) {
        give(locked.error());
        return;
    }
    // Each write runs after a savepoint: one that fails is rolled back to it alone. Between writes, the savepoint
    // is released and set again in one round trip.
    if (auto saved = db.exec("SAVEPOINT write"); !saved) {
        give(saved.error());
        return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto before = db.notes();
        auto outcome = batch[i]->body(db);
        Result<void> next;
        if (!outcome) {
            db.notes() = std::move(before); // nothing it did stays, its usns included
            // The savepoint stays, for the next write.
            auto rolled_back = db.exec("ROLLBACK TO SAVEPOINT write");
            next = rolled_back ? Result<void>() : Result<void>(rolled_back.error());
        } else if (i + 1 < batch.size()) {
            next = db.run_script("RELEASE SAVEPOINT write; SAVEPOINT write");
        }
        if (!next) {
            give(next.error()); // the connection broke: healthy() drops it before the next batch
            return;
        }
        outcomes.push_back(std::move(outcome));
    }
    if (auto settled = settle_transaction(db); !settled) {
        give(settled.error());
        return;
    }
    if (auto committed = db.exec("COMMIT"); !committed) {
        give(committed.error());
        return;
    }
    if (auto* observer = observer_.load(std::memory_order_acquire)) {
        observer->batch_committed(batch.size(), std::chrono::steady_clock::now() - started);
    }
    give(std::nullopt);
}

} // namespace jobsessions::store::postgres
