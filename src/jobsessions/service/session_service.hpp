// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session_rules.hpp"
#include "jobsessions/service/change_hub.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/service/principal.hpp"
#include "jobsessions/store/idempotency_store.hpp"
#include "jobsessions/store/session_store.hpp"
#include "jobsessions/util/clock.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace jobsessions::service {

/// A log entry as a client sends it; absent times take the defaults of the contract.
struct AppendLogEntry {
    std::optional<util::Micros> log_time;
    domain::SessionStatus status = domain::SessionStatus::Success;
    std::string message;
    std::optional<util::Micros> execution_start_time;
    std::optional<util::Micros> execution_duration;
};

/// An entry logged when it is written, with its status and message (how the server's own jobs say what they do).
AppendLogEntry logged_now(domain::SessionStatus status, std::string message);

/// What a client asks to create; absent members take their defaults.
struct CreateSession {
    domain::SessionType type = domain::SessionType::PolicyBackup;
    std::optional<domain::SessionStatus> status;
    std::optional<util::Micros> start_time;
    std::optional<util::Micros> stop_time;
    std::optional<domain::BackupJobInfo> backup_info;
    std::optional<domain::RestoreJobInfo> restore_info;
    std::optional<domain::RepositoryJobInfo> repository_info;
    std::optional<domain::RetentionJobInfo> retention_info;
    /// Its first log entries, written with it (the server's own jobs say at once why a session exists).
    std::vector<AppendLogEntry> log;
};

/// How many sessions match a filter, by status: what an overview shows.
struct SessionSummary {
    std::int64_t total = 0;
    /// Every status the filter lets through, in the order of domain::SessionStatus, zeros included.
    std::vector<std::pair<domain::SessionStatus, std::int64_t>> by_status;
    /// Sessions of the filter's types, policy and text that have not ended, whenever they started.
    std::int64_t running_now = 0;
};

/// What the caller of a list already holds of some sessions (their rendered bodies, say): a page does not read
/// those rows again. Held by id and usn: a session's usn changes with every change to it, so what was taken at the
/// same usn is current.
class KnownSessions {
public:
    virtual ~KnownSessions() = default;
    KnownSessions() = default;
    KnownSessions(const KnownSessions&) = delete;
    KnownSessions& operator=(const KnownSessions&) = delete;
    /// Which sessions of a page (in list order) the caller holds as they are at their usn: a flag for each. Asked
    /// before the page's rows are read; asked again for the same list, the page is listed anew (a session changed
    /// between its key and its row) and the earlier answer no longer counts.
    virtual std::vector<bool> holds(const std::vector<store::SessionKey>& page) = 0;
};

/// What was recorded for an Idempotency-Key.
struct RecordedAnswer {
    /// The answer to give again, when the key answered the same request before.
    std::optional<store::IdempotencyRecord> replay;
    /// The key answered another request: it may not be used for this one.
    bool used_for_another_request = false;
};

/// Told of every session this server writes (created, or changed from what it was), after the write is durable,
/// on the writing thread: how metrics learn of sessions without the service knowing them. Must not block.
class SessionObserver {
public:
    virtual ~SessionObserver() = default;
    SessionObserver() = default;
    SessionObserver(const SessionObserver&) = delete;
    SessionObserver& operator=(const SessionObserver&) = delete;
    /// `previous` is null for a session just created.
    virtual void session_written(const domain::JobSession* previous, const domain::JobSession& now) noexcept = 0;
};

/// The session use cases: read, create, change, log. No HTTP and no SQL here. Thread-safe.
class SessionService {
public:
    SessionService(store::SessionStore& store, store::IdempotencyStore& answers, const util::Clock& clock,
                   ChangeHub& hub);

    /// How long reading one session or log page may take (where a request for it is best served).
    [[nodiscard]] store::ReadCost lookup_cost() const noexcept { return store_.lookup_cost(); }
    /// How long listing or counting what `filter` selects may take.
    [[nodiscard]] store::ReadCost list_cost(const store::SessionFilter& filter) const noexcept
    {
        return store_.list_cost(filter);
    }

    /// Between these, the calling thread's reads may share one snapshot (see store::SessionStore).
    void begin_read_round() noexcept { store_.begin_read_round(); }
    void end_read_round() noexcept { store_.end_read_round(); }

    /// The answer recorded for `write`'s key (its user, key and request hash), if the key was used before.
    Outcome<RecordedAnswer> recorded_answer(const store::IdempotencyWrite& write);

    /// A page of the sessions the principal may see, newest first, with the total that match; the rows of those
    /// `known` holds (when given) are not read, and the page's sessions are the others, in list order.
    Outcome<store::SessionPage> list(const Principal& who, store::SessionFilter filter, std::int64_t offset,
                                     std::int64_t limit, KnownSessions* known = nullptr);

    /// `filter` narrowed to the sessions the principal may see, as list and count apply it: what a page kept for
    /// one principal must also match to be shown to another.
    [[nodiscard]] static store::SessionFilter visible_to(const Principal& who, store::SessionFilter filter);

    /// Whether lists_version_later reads the store's version of its sessions (store::SessionStore::versions_sessions).
    [[nodiscard]] bool versions_lists() const noexcept { return store_.versions_sessions(); }
    /// The version of the sessions as the store holds them now, given to `reply` on the thread that runs `io`:
    /// while it stays, every list and count does (a page kept at it may be answered as it is).
    void lists_version_later(boost::asio::io_context& io, std::function<void(Outcome<std::int64_t>)> reply);

    /// How many sessions match, of those the principal may see.
    Outcome<std::int64_t> count(const Principal& who, store::SessionFilter filter);

    /// Counts of the sessions the principal may see that match, by status (from the store's kept counts).
    Outcome<SessionSummary> summary(const Principal& who, store::SessionFilter filter);

    /// Every matching session the principal may see, newest first, one at a time.
    Outcome<std::unique_ptr<store::SessionCursor>> cursor(const Principal& who, store::SessionFilter filter);

    /// Sessions changed after `after_usn` (that the principal may see), in usn order.
    Outcome<std::vector<domain::JobSession>> changes(const Principal& who, std::int64_t after_usn, std::int64_t limit);

    /// The highest usn so far.
    Outcome<std::int64_t> highest_usn();

    /// Asks a pending or running session to stop: it goes to Canceling (its agent or runner then ends it);
    /// Conflict when it has already finished.
    Outcome<domain::JobSession> stop(const Principal& who, std::int64_t id);

    /// Who is told after a stop request has set a session to Canceling (the runner, for the sessions it runs).
    /// Set once, before requests are served.
    void on_stop(std::function<void(std::int64_t)> handler) { stop_handler_ = std::move(handler); }

    /// Who is told after a client (not the server's own jobs) has given a session a final status: the runner
    /// stops the command of a session it runs. Set once, before requests are served.
    void on_ended(std::function<void(std::int64_t)> handler) { ended_handler_ = std::move(handler); }

    /// Adds an observer of the sessions written. Before requests are served.
    void observe(SessionObserver& observer) { observers_.push_back(&observer); }

    /// How many sessions of each type have not finished (pending, running or canceling), in the order of
    /// domain::all_session_types(): from the counts the store keeps.
    Outcome<std::vector<std::int64_t>> unfinished_by_type();

    /// Where changes are announced (for followers and long polls).
    ChangeHub& hub() noexcept { return hub_; }

    /// A session the principal may read (an Agent reads only its own); NotFound otherwise.
    Outcome<domain::JobSession> get(const Principal& who, std::int64_t id);
    /// Whether get_later waits for the store without blocking the calling I/O thread.
    [[nodiscard]] bool looks_up_later() const noexcept { return store_.looks_up_later(); }
    /// As get, given to `reply` on the thread that runs `io` (the calling I/O thread's event loop): later when
    /// looks_up_later(), else at once.
    void get_later(const Principal& who, std::int64_t id, boost::asio::io_context& io,
                   std::function<void(Outcome<domain::JobSession>)> reply);

    /// Creates a session; a final status without a stop time stops now.
    Outcome<domain::JobSession> create(const Principal& who, const CreateSession& request,
                                       const store::IdempotencyWrite* idempotency);

    /// Applies a change under the status rules; Conflict once the session is final.
    Outcome<domain::JobSession> change(const Principal& who, std::int64_t id, const domain::SessionChange& change,
                                       const store::IdempotencyWrite* idempotency);

    /// Appends log entries; Conflict once the session is final.
    Outcome<store::LogAppend> append_log(const Principal& who, std::int64_t id,
                                         const std::vector<AppendLogEntry>& entries,
                                         const store::IdempotencyWrite* idempotency);

    /// Appends one entry, logged now (the server's own jobs say what they do this way).
    Outcome<store::LogAppend> append_message(const Principal& who, std::int64_t id, domain::SessionStatus status,
                                             std::string message);

    /// A session's log, oldest first.
    Outcome<std::vector<domain::LogEntry>> log(const Principal& who, std::int64_t id, std::int64_t offset,
                                               std::int64_t limit);
    /// As log, given to `reply` on the thread that runs `io` (the calling I/O thread's event loop): later when
    /// looks_up_later(), else at once.
    void log_later(const Principal& who, std::int64_t id, std::int64_t offset, std::int64_t limit,
                   boost::asio::io_context& io, std::function<void(Outcome<std::vector<domain::LogEntry>>)> reply);

private:
    /// Restricts a filter to what the principal may see.
    static void limit_to(const Principal& who, store::SessionFilter& filter);

    store::SessionStore& store_;
    store::IdempotencyStore& answers_;
    const util::Clock& clock_;
    ChangeHub& hub_;
    std::function<void(std::int64_t)> stop_handler_;
    std::function<void(std::int64_t)> ended_handler_;
    std::vector<SessionObserver*> observers_;
};

} // namespace jobsessions::service
