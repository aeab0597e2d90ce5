// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/store/idempotency_store.hpp"
#include "jobsessions/store/store_error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace jobsessions::store {

/// A log entry to append; the store assigns the sequence number.
struct NewLogEntry {
    util::Micros log_time = 0;
    domain::SessionStatus status = domain::SessionStatus::Success;
    std::string message;
    util::Micros execution_start_time = 0;
    util::Micros execution_duration = 0;
};

/// A session to create; the store assigns id and usn.
struct NewSession {
    domain::SessionType type = domain::SessionType::PolicyBackup;
    domain::SessionStatus status = domain::SessionStatus::Running;
    util::Micros start_time = 0;
    std::optional<util::Micros> stop_time;
    std::int64_t created_by = 0;
    std::optional<domain::BackupJobInfo> backup_info;
    std::optional<domain::RestoreJobInfo> restore_info;
    std::optional<domain::RepositoryJobInfo> repository_info;
    std::optional<domain::RetentionJobInfo> retention_info;
    /// Its first log entries, written in the same transaction: no reader sees the session without them.
    std::vector<NewLogEntry> log;
};

/// The result of appending log entries.
struct LogAppend {
    domain::JobSession session;
    std::int64_t first_sequence = 0;
    std::int64_t last_sequence = 0;
    /// True when the session was final and nothing was appended.
    bool refused_final = false;
};

/// Which sessions a list, count, export or change feed is about; empty members do not filter.
struct SessionFilter {
    std::vector<domain::SessionType> types;
    std::vector<domain::SessionStatus> statuses;
    std::optional<std::string> policy_id;
    /// executionStartTime >= from
    std::optional<util::Micros> from;
    /// executionStartTime < to
    std::optional<util::Micros> to;
    /// A case-insensitive substring of the policy name or of the localized type name.
    std::optional<std::string> text;
    /// Only sessions whose usn is greater than this.
    std::optional<std::int64_t> usn_after;
    /// Only sessions this user created (what an Agent sees).
    std::optional<std::int64_t> created_by;
};

/// One page of a list: its sessions in list order, and how many sessions match in all.
struct SessionPage {
    std::vector<domain::JobSession> sessions;
    std::int64_t total_count = 0;
};

/// A session as a page lists it: which one, and at which change.
struct SessionKey {
    std::int64_t id = 0;
    std::int64_t usn = 0;
    bool operator==(const SessionKey&) const = default;
};

/// One page of a list as keys, in list order, and how many sessions match in all. A session's usn changes with
/// every change to it, so what a caller holds of a session at the same usn is current.
struct PageKeys {
    std::vector<SessionKey> keys;
    std::int64_t total_count = 0;
    /// The sessions `keys` name, in that order, when the backend reads them with the keys in one statement (where
    /// each statement is a round trip across a network); none when the caller is to read those it needs with
    /// get_sessions.
    std::optional<std::vector<domain::JobSession>> sessions;
};

/// Walks matching sessions newest first (start time, then id). It owns its database connection, so it may be
/// used from one thread after another, but never from two at once.
class SessionCursor {
public:
    virtual ~SessionCursor() = default;
    SessionCursor() = default;
    SessionCursor(const SessionCursor&) = delete;
    SessionCursor& operator=(const SessionCursor&) = delete;
    /// The next session into `out`: true, or false at the end.
    virtual Result<bool> next(domain::JobSession& out) = 0;
};

/// What one retention batch deleted.
struct RetentionBatch {
    std::int64_t sessions = 0;
    std::int64_t log_entries = 0;
};

/// How long a read may take, as the backend judges it.
enum class ReadCost : std::uint8_t {
    /// Served from local memory or disk in microseconds.
    Quick,
    /// May wait on the network or walk much of an index.
    Long,
};

/// Where a lookup made with get_session_later is answered.
using SessionReply = std::function<void(Result<domain::JobSession>)>;
/// A page of a session's log, with who created the session (all it takes to know who may see it).
struct LogPage {
    std::int64_t created_by = 0;
    std::vector<domain::LogEntry> entries;
};
/// Where a page of a log read with get_log_later is given.
using LogReply = std::function<void(Result<LogPage>)>;
/// Where sessions_version_later answers.
using VersionReply = std::function<void(Result<std::int64_t>)>;

/// Sessions, their logs, lists, counts and the change feed.
class SessionStore {
public:
    virtual ~SessionStore() = default;
    SessionStore(const SessionStore&) = delete;
    SessionStore& operator=(const SessionStore&) = delete;

    /// Where reads are best served: an I/O thread waits in turn with its other requests for a Quick one; a Long
    /// one (a network round trip, a walk through much of an index) goes to the blocking pool.
    /// A read of one session, one log page or one policy.
    [[nodiscard]] virtual ReadCost lookup_cost() const noexcept = 0;
    /// A page or count of sessions matching `filter`.
    [[nodiscard]] virtual ReadCost list_cost(const SessionFilter& filter) const noexcept = 0;

    /// Between these two calls, the reads of the calling thread may share one snapshot: an I/O thread answering
    /// a burst of short reads then takes the database's read lock once per burst rather than once per read. A
    /// read still sees every write acknowledged before it starts. The thread must end the round before it waits
    /// for anything, so that nothing is held while idle. Backends without such a cost need do nothing.
    virtual void begin_read_round() noexcept {}
    virtual void end_read_round() noexcept {}

    /// One session by id.
    virtual Result<domain::JobSession> get_session(std::int64_t id) = 0;
    /// Whether get_session_later waits for the database without blocking the calling I/O thread (a database
    /// across a socket, whose reply the thread's event loop can wait for); then a lookup by id is no Long read.
    [[nodiscard]] virtual bool looks_up_later() const noexcept { return false; }
    /// One session by id, given to `reply` on the thread that runs `io` (the calling I/O thread's event loop,
    /// which must run on that thread alone): later when looks_up_later(), else at once. `reply` is dropped
    /// without a call only if the event loop ends first.
    virtual void get_session_later(std::int64_t id, boost::asio::io_context& /*io*/, SessionReply reply)
    {
        const auto answer = std::move(reply);
        answer(get_session(id));
    }
    /// Whether the store keeps the sessions' version: a number that grows with every write that can change a list
    /// or a count (a session created, changed or deleted), so that a page kept at one version is still the page
    /// while the database is at it. Worth it where listing costs a round trip and the database's planning and
    /// walking of an index, and the version is one short read that waits on the I/O thread's event loop, as a
    /// lookup by id does.
    [[nodiscard]] virtual bool versions_sessions() const noexcept { return false; }
    /// The sessions' version as the database holds it when asked (never one remembered: every write acknowledged
    /// before the call, by any server, is in it), given to `reply` on the thread that runs `io` as
    /// get_session_later gives a lookup. Unavailable from a store that keeps none.
    virtual void sessions_version_later(boost::asio::io_context& /*io*/, VersionReply reply)
    {
        const auto answer = std::move(reply);
        answer(StoreError{StoreErrc::Unavailable, "this store keeps no version of its sessions"});
    }
    /// The user who created session `id` (NotFound when there is none): all it takes to know who may see it,
    /// without reading the rest of the row.
    virtual Result<std::int64_t> get_session_creator(std::int64_t id) = 0;
    /// Creates a session with the next usn.
    virtual Result<domain::JobSession> create_session(const NewSession& session,
                                                      const IdempotencyWrite* idempotency) = 0;
    /// Creates many finished or running sessions with their logs in one write (importing history, data
    /// generators); each gets the next usn in order.
    virtual Result<void> import_sessions(const std::vector<NewSession>& sessions) = 0;
    /// Stores `next` (same id) with the next usn, if the stored session still has `expected_usn`: optimistic
    /// concurrency, so that the status rules stay in the service. Conflict when it changed meanwhile.
    virtual Result<domain::JobSession> replace_session(const domain::JobSession& next, std::int64_t expected_usn,
                                                       const IdempotencyWrite* idempotency) = 0;
    /// Appends entries to a session's log, oldest first; refused (nothing appended) once the session is final.
    virtual Result<LogAppend> append_log(std::int64_t session_id, const std::vector<NewLogEntry>& entries,
                                         const IdempotencyWrite* idempotency) = 0;
    /// The keys of a page of matching sessions, newest first (start time, then id), and the exact number that
    /// match. Served from indexes: the count from totals per period, day, hour and minute kept by the store, so it
    /// does not count rows one by one. A list is read in two steps so that a caller holding some sessions (their
    /// rendered bodies, say) reads only the others: these keys, then get_sessions for the rest. A backend whose
    /// statements are round trips may give the rows with the keys instead (PageKeys::sessions).
    virtual Result<PageKeys> list_session_keys(const SessionFilter& filter, std::int64_t offset,
                                               std::int64_t limit) = 0;
    /// The sessions `keys` name, in that order, as they are now: one changed since its key was listed has
    /// another usn, one deleted is left out (the caller then lists again).
    virtual Result<std::vector<domain::JobSession>> get_sessions(const std::vector<SessionKey>& keys) = 0;
    /// How many sessions match (as list_session_keys counts them).
    virtual Result<std::int64_t> count_sessions(const SessionFilter& filter) = 0;
    /// A cursor over every matching session, newest first, for streaming without holding them all.
    virtual Result<std::unique_ptr<SessionCursor>> open_session_cursor(const SessionFilter& filter) = 0;
    /// Sessions with usn > `after_usn` in usn order, at most `limit`; only those `created_by` made when given.
    virtual Result<std::vector<domain::JobSession>> changed_sessions(std::int64_t after_usn, std::int64_t limit,
                                                                     std::optional<std::int64_t> created_by) = 0;
    /// The highest usn given out so far.
    virtual Result<std::int64_t> highest_usn() = 0;
    /// A session's log entries, oldest first: skip `offset`, then at most `limit` (-1: all).
    virtual Result<std::vector<domain::LogEntry>> get_log(std::int64_t session_id, std::int64_t offset,
                                                          std::int64_t limit) = 0;
    /// As get_log, with the session's creator (NotFound when there is no session), given to `reply` on the thread
    /// that runs `io` as get_session_later gives a lookup: later when looks_up_later(), else at once.
    virtual void get_log_later(std::int64_t session_id, std::int64_t offset, std::int64_t limit,
                               boost::asio::io_context& /*io*/, LogReply reply)
    {
        const auto answer = std::move(reply);
        auto creator = get_session_creator(session_id);
        if (!creator) {
            answer(creator.error());
            return;
        }
        auto entries = get_log(session_id, offset, limit);
        if (!entries) {
            answer(entries.error());
            return;
        }
        answer(LogPage{*creator, std::move(*entries)});
    }
    /// Deletes at most `max_sessions` finished sessions started before `before`, with their logs, in one short
    /// write: those of policy `policy_id`, or (nullopt) those no policy's retentionDays covers.
    virtual Result<RetentionBatch> delete_old_sessions(const std::optional<std::string>& policy_id, util::Micros before,
                                                       std::int64_t max_sessions) = 0;

protected:
    SessionStore() = default;
};

} // namespace jobsessions::store
