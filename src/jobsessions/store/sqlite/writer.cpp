// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/writer.hpp"

#include "jobsessions/util/thread_name.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <span>

namespace jobsessions::store::sqlite {
namespace {

constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kSavepoint = "SAVEPOINT job";
constexpr const char* kRelease = "RELEASE job";
constexpr const char* kRollbackToSavepoint = "ROLLBACK TO job";

// Bounds one transaction, so a flood of writers still sees regular commits.
constexpr std::size_t kMaxBatch = 1024;
// Jobs run under one savepoint together. SQLite copies each page a savepoint changes into its journal the first
// time: the same hot pages (the table's last leaf, the newest index pages, the current minute's counts) for every
// job when each has its own, about a third of a creation's work.
constexpr std::size_t kJobsPerSavepoint = 16;

} // namespace

void WriteJob::finish()
{
    // Notified under the lock: the waiter, which destroys the job as soon as it returns, cannot return before.
    std::lock_guard lock(mutex_);
    finished_ = true;
    finished_cv_.notify_one();
}

void WriteJob::wait()
{
    std::unique_lock lock(mutex_);
    finished_cv_.wait(lock, [this] { return finished_; });
}

Writer::Writer(std::unique_ptr<Connection> connection, BatchHooks hooks)
    : connection_(std::move(connection))
    , hooks_(std::move(hooks))
    , thread_([this] { loop(); })
{
}

Writer::~Writer()
{
    stop();
}

void Writer::run(WriteJob& job)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            job.outcome = StoreError{StoreErrc::Unavailable, "the store is closed"};
            return;
        }
        queue_.push_back(&job);
    }
    wake_.notify_one();
    job.wait();
}

void Writer::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::size_t Writer::queued()
{
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void Writer::loop()
{
    util::name_this_thread("sqlite-writer");
    std::vector<WriteJob*> batch;
    batch.reserve(kMaxBatch);
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return; // stopping, and everything queued has been written
            }
            const std::size_t take = std::min(queue_.size(), kMaxBatch);
            batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
        }
        // The synced writes first: what is not synced waits for them, not they for it.
        const auto unsynced = std::stable_partition(batch.begin(), batch.end(), [](WriteJob* j) { return j->synced; });
        if (unsynced != batch.begin()) {
            run_batch(std::span(batch.begin(), unsynced), true);
        }
        if (unsynced != batch.end()) {
            run_batch(std::span(unsynced, batch.end()), false);
        }
        batch.clear();
    }
}

Result<void> Writer::sync_commits(bool synced)
{
    if (synced == commits_synced_) {
        return {};
    }
    auto set = connection_->run(synced ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (set) {
        commits_synced_ = synced;
    }
    return set;
}

void Writer::run_batch(std::span<WriteJob*> batch, bool synced)
{
    const auto started = std::chrono::steady_clock::now();
    auto finish_all = [&](const Result<void>& failure) {
        for (WriteJob* job : batch) {
            if (!failure) {
                job->outcome = failure;
            }
            job->finish();
        }
    };
    if (auto set = sync_commits(synced); !set) {
        if (synced) {
            finish_all(set); // a synced write is never acknowledged before it is on disk
            return;
        }
        // Left synced: slower, and as safe.
    }
    if (auto begun = connection_->run(kBegin); !begun) {
        finish_all(begun);
        return;
    }
    if (hooks_.begun) {
        hooks_.begun();
    }
    bool broken = false;
    for (std::size_t first = 0; first < batch.size() && !broken; first += kJobsPerSavepoint) {
        const auto group = std::span(batch).subspan(first, std::min(kJobsPerSavepoint, batch.size() - first));
        auto ran = run_under_savepoint(group);
        if (ran == Savepoint::RolledBack && group.size() > 1) {
            // One of them failed and took the others' work with it: each again, under a savepoint of its own.
            for (WriteJob*& job : group) {
                ran = run_under_savepoint(std::span(&job, 1));
                if (ran == Savepoint::Broken) {
                    break;
                }
            }
        }
        broken = ran == Savepoint::Broken;
    }
    Result<void> committed;
    if (broken) {
        committed = StoreError{StoreErrc::Unavailable, "a write could not be rolled back; the batch was not written"};
    } else if (hooks_.committing) {
        committed = hooks_.committing(*connection_);
    }
    if (committed) {
        committed = connection_->run(kCommit);
    }
    if (committed) {
        commits_.fetch_add(1, std::memory_order_release);
        // The metrics tell what writes wait for the disk: a batch that did not is not one of them.
        if (auto* observer = observer_.load(std::memory_order_acquire); observer && synced) {
            observer->batch_committed(batch.size(), std::chrono::steady_clock::now() - started);
        }
    } else {
        (void)connection_->run(kRollback);
    }
    finish_all(committed);
}

Writer::Savepoint Writer::run_under_savepoint(std::span<WriteJob*> jobs)
{
    if (auto saved = connection_->run(kSavepoint); !saved) {
        for (WriteJob* job : jobs) {
            job->outcome = saved;
        }
        return Savepoint::RolledBack;
    }
    bool all_kept = true;
    for (WriteJob* job : jobs) {
        try {
            job->outcome = job->body(*connection_);
        } catch (const std::exception& e) {
            job->outcome = StoreError{StoreErrc::Unavailable, e.what()};
        }
        if (!job->outcome) {
            all_kept = false;
            break;
        }
    }
    if (all_kept) {
        auto released = connection_->run(kRelease);
        if (released) {
            if (hooks_.jobs_ended) {
                hooks_.jobs_ended(true);
            }
            return Savepoint::Kept;
        }
        for (WriteJob* job : jobs) {
            job->outcome = released;
        }
    }
    // Nothing a failed write did may stay in the batch: when even that cannot be undone, the batch goes.
    const bool undone = connection_->run(kRollbackToSavepoint) && connection_->run(kRelease);
    if (hooks_.jobs_ended) {
        hooks_.jobs_ended(false);
    }
    return undone ? Savepoint::RolledBack : Savepoint::Broken;
}

} // namespace jobsessions::store::sqlite
