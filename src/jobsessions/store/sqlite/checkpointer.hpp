// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/connection.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace jobsessions::store::sqlite {

/// Copies the write-ahead log back into the database file on a thread of its own. SQLite does it by default in
/// the commit that fills the log past a thousand pages, and that checkpoint ends with an fsync of the database
/// file: on a busy disk it held the writer, and every write waiting on it, for more than a second. Here the writer
/// only says how long the log is after each commit and goes on appending to it (and syncing only it) while
/// passive checkpoints copy and sync what it committed: one each time the log has grown by a thousand pages, and
/// one when writes have paused for a moment with something left uncopied, after which the next write starts the
/// log over. Under writes that never pause the log would grow without end: past kPagesBeforeFull a full
/// checkpoint holds the writer back once for the rest and a sync of the database file (the stall SQLite's own
/// checkpoints make every thousand pages). Readers pay nothing for a long log: they look up only the part not yet
/// copied. Thread-safe.
class Checkpointer {
public:
    /// A checkpoint runs each time the log has grown by this many pages (SQLite's own default).
    static constexpr int kPagesBetweenCheckpoints = 1000;
    /// Passive rounds go on until at most this many pages are left uncopied, or kPassiveRounds ran.
    static constexpr int kPagesLeftUncopied = 64;
    static constexpr int kPassiveRounds = 8;
    /// A log this long (256 MB of 4 KB pages) is copied whole by a full checkpoint, which holds the writer back.
    static constexpr int kPagesBeforeFull = 64 * 1024;
    /// Writes paused this long let the rest of the log be copied.
    static constexpr std::chrono::milliseconds kPause{100};

    /// Takes a connection of its own to the database and starts the thread.
    explicit Checkpointer(std::unique_ptr<Connection> connection);
    ~Checkpointer();
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    /// Makes `writer` hand its commits' log sizes to this checkpointer instead of checkpointing itself. Call
    /// before the writer connection is used by another thread.
    void take_over_checkpoints_of(Connection& writer);

    /// Waits until a checkpoint has copied every commit so far, at most `timeout`; whether one has (for tests).
    bool wait_until_log_copied(std::chrono::milliseconds timeout);

private:
    /// On the writer's thread, after each commit: the log now holds `pages` pages.
    void log_written(int pages);
    void loop();
    /// Passive rounds, then a full checkpoint if the log is long. Returns whether the whole log was copied.
    bool checkpoint();

    std::unique_ptr<Connection> connection_;
    /// The log's size when a checkpoint was last asked for; the writer's thread only.
    int pages_at_last_request_ = 0;
    /// Commits so far, counted by the writer.
    std::atomic<std::uint64_t> commits_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable ran_;
    bool wanted_ = false;
    bool stopping_ = false;
    /// How many commits the last checkpoint that copied the whole log had seen.
    std::uint64_t commits_copied_ = 0;
    std::thread thread_;
};

} // namespace jobsessions::store::sqlite
