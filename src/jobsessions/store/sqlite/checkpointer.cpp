// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/checkpointer.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <sqlite3.h>

namespace jobsessions::store::sqlite {

Checkpointer::Checkpointer(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection))
{
    // A checkpoint syncs the database file before the log may be reused: that is what makes it safe. A full one
    // waits a moment for the writer's transaction in progress; then, holding the writer back, for readers of
    // older snapshots (a long export): only briefly, and it is tried again after the next thousand pages.
    if (auto r = connection_->exec("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10;"); !r) {
        log::warning("checkpoints: " + r.error().message);
    }
    thread_ = std::thread([this] { loop(); });
}

Checkpointer::~Checkpointer()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void Checkpointer::take_over_checkpoints_of(Connection& writer)
{
    // Replaces the hook behind SQLite's automatic checkpoints (wal_autocheckpoint).
    sqlite3_wal_hook(
        writer.handle(),
        [](void* self, sqlite3*, const char*, int pages) {
            static_cast<Checkpointer*>(self)->log_written(pages);
            return SQLITE_OK;
        },
        this);
}

void Checkpointer::log_written(int pages)
{
    commits_.fetch_add(1, std::memory_order_relaxed);
    if (pages < pages_at_last_request_) {
        pages_at_last_request_ = 0; // the log was copied and started over
    }
    if (pages - pages_at_last_request_ < kPagesBetweenCheckpoints) {
        return;
    }
    pages_at_last_request_ = pages;
    {
        std::lock_guard lock(mutex_);
        wanted_ = true;
    }
    wake_.notify_one();
}

bool Checkpointer::wait_until_log_copied(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return ran_.wait_for(lock, timeout, [&] { return commits_copied_ == commits_.load(); });
}

void Checkpointer::loop()
{
    util::name_this_thread("sqlite-checkpt");
    std::unique_lock lock(mutex_);
    std::uint64_t commits_at_last_look = commits_.load();
    for (;;) {
        wake_.wait_for(lock, kPause, [this] { return wanted_ || stopping_; });
        if (stopping_) {
            return;
        }
        const auto commits = commits_.load();
        // Asked for, or nothing written for a moment with something left to copy.
        const bool due = wanted_ || (commits == commits_at_last_look && commits != commits_copied_);
        commits_at_last_look = commits;
        if (!due) {
            continue;
        }
        wanted_ = false;
        lock.unlock();
        const bool copied_all = checkpoint();
        lock.lock();
        if (copied_all) {
            commits_copied_ = commits; // at least these; a commit since makes the next pause copy again
        }
        ran_.notify_all();
    }
}

bool Checkpointer::checkpoint()
{
    int log_pages = 0;
    int copied = 0;
    for (int round = 0; round < kPassiveRounds; ++round) {
        // Passive: copies what no reader still needs, never waits for readers or the writer.
        const int rc =
            sqlite3_wal_checkpoint_v2(connection_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &copied);
        if (rc != SQLITE_OK) {
            log::warning(std::string("checkpoint failed: ") + sqlite3_errstr(rc));
            return false;
        }
        if (log_pages - copied <= kPagesLeftUncopied) {
            break;
        }
    }
    if (log_pages < kPagesBeforeFull) {
        return log_pages == copied;
    }
    const int rc =
        sqlite3_wal_checkpoint_v2(connection_->handle(), nullptr, SQLITE_CHECKPOINT_FULL, &log_pages, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) { // busy: the writer or a reader outlasted the wait
        log::warning(std::string("checkpoint failed: ") + sqlite3_errstr(rc));
    }
    return rc == SQLITE_OK && log_pages == copied;
}

} // namespace jobsessions::store::sqlite
