// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/policy.hpp"
#include "jobsessions/domain/session.hpp"
#include "jobsessions/domain/user.hpp"
#include "jobsessions/store/store_error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

/// The answer a write gave, kept so that a retry with the same Idempotency-Key gets it again.
struct IdempotencyRecord {
    std::int64_t user_id = 0;
    std::string key;
    /// SHA-256 of method, target and body: the same key with another request is refused.
    std::string request_hash;
    int status_code = 0;
    std::string location;
    std::string body;
    util::Micros created_at = 0;
};

/// What a write produced, for rendering its recorded answer.
struct WriteOutcome {
    const domain::JobSession& session;
    /// For log appends: the sequence numbers given to the entries.
    std::int64_t first_sequence = 0;
    std::int64_t last_sequence = 0;
};

/// What a write records for its Idempotency-Key, in the same transaction as the write itself.
struct IdempotencyWrite {
    std::int64_t user_id = 0;
    std::string key;
    std::string request_hash;
    int status_code = 0;
    /// Renders the answer body and Location from what the write produced (called inside the transaction).
    using Renderer = std::function<void(const WriteOutcome&, IdempotencyRecord&)>;
    Renderer render;
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

/// Failed logins counted under one key.
struct LoginFailures {
    std::int64_t count = 0;
    /// When the last of them happened.
    util::Micros last = 0;
};

/// One page of a list, and how many sessions match in all.
struct SessionPage {
    /// The page's sessions in list order, less those the caller said it holds (see KnownSessions).
    std::vector<domain::JobSession> sessions;
    std::int64_t total_count = 0;
};

/// A session as a page lists it: which one, and at which change.
struct SessionKey {
    std::int64_t id = 0;
    std::int64_t usn = 0;
    bool operator==(const SessionKey&) const = default;
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
    /// before the page's rows are read; asked again for the same list, the page is listed anew (what the store had
    /// found changed meanwhile) and the earlier answer no longer counts.
    virtual std::vector<bool> holds(const std::vector<SessionKey>& page) = 0;
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

/// A stored refresh token (only its hash is kept).
struct RefreshTokenRecord {
    std::string token_hash;
    /// Every token issued by one login shares this id; reuse of a spent token revokes them all.
    std::string login_id;
    std::int64_t user_id = 0;
    util::Micros expires_at = 0;
    util::Micros created_at = 0;
};

/// How a refresh-token rotation ended.
enum class RotationOutcome : std::uint8_t {
    Rotated,
    /// Unknown, expired or revoked token.
    Invalid,
    /// The token had been used before: the whole login was revoked.
    Reused,
};

/// The result of a refresh-token rotation.
struct Rotation {
    RotationOutcome outcome = RotationOutcome::Invalid;
    std::int64_t user_id = 0;
    std::string login_id;
};

/// A policy run whose child process is alive, recorded so that a server starting after a crash can end it.
struct PolicyRun {
    std::int64_t session_id = 0;
    std::string policy_id;
    /// The child's pid, which is also its process group.
    std::int64_t pid = 0;
    /// The child's start time in clock ticks since boot (/proc/<pid>/stat), so that a reused pid is not taken
    /// for it.
    std::int64_t process_start = 0;
};

/// What one retention batch deleted.
struct RetentionBatch {
    std::int64_t sessions = 0;
    std::int64_t log_entries = 0;
};

/// The storage interface: the only place SQL lives, behind which SQLite (and later PostgreSQL) sit.
/// Thread-safety: every method may be called from any thread concurrently. Writes return only after the data is
/// durable (fsync'd); reads never wait for writes.
class Store {
public:
    virtual ~Store() = default;
    Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// True when reads are served from local memory or disk quickly enough to run on an I/O thread.
    [[nodiscard]] virtual bool reads_are_local() const noexcept = 0;

    /// Between these two calls, the reads of the calling thread may share one read transaction: an I/O thread
    /// answering a burst of short reads then takes the database's read lock once per burst rather than once per
    /// read. A read still sees every write acknowledged before it starts. The thread must end the round before
    /// it waits for anything, so that no read transaction is held while idle.
    virtual void begin_read_round() noexcept {}
    virtual void end_read_round() noexcept {}

    // --- sessions --------------------------------------------------------------------------------------------
    /// One session by id.
    virtual Result<domain::JobSession> get_session(std::int64_t id) = 0;
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
    /// A page of matching sessions, newest first, and the exact number that match. Served from indexes: the
    /// count from totals per period, day, hour and minute kept by the store, so it does not count rows one by one.
    /// The sessions `known` holds (when given) are left out of the page's rows.
    virtual Result<SessionPage> list_sessions(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                                              KnownSessions* known) = 0;
    /// How many sessions match (as list_sessions counts them).
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

    // --- idempotency -----------------------------------------------------------------------------------------
    /// The recorded answer for a user's Idempotency-Key, if any.
    virtual Result<std::optional<IdempotencyRecord>> find_idempotency(std::int64_t user_id, const std::string& key) = 0;

    // --- users -----------------------------------------------------------------------------------------------
    /// Every user, ordered by id.
    virtual Result<std::vector<domain::User>> list_users() = 0;
    /// A user by name, without regard to case.
    virtual Result<domain::User> find_user(const std::string& name) = 0;
    /// Creates a user; Conflict when the name is taken.
    virtual Result<domain::User> create_user(const domain::User& user) = 0;
    /// Stores a user's role, password hash and disabled flag.
    virtual Result<void> update_user(const domain::User& user) = 0;
    /// Removes a user and its refresh tokens.
    virtual Result<void> remove_user(std::int64_t id) = 0;

    // --- tokens ----------------------------------------------------------------------------------------------
    /// Stores a new refresh token.
    virtual Result<void> insert_refresh_token(const RefreshTokenRecord& record) = 0;
    /// Spends `token_hash` and stores `next` in its place, atomically; a reused token revokes its login.
    virtual Result<Rotation> rotate_refresh_token(const std::string& token_hash, util::Micros now,
                                                  RefreshTokenRecord next) = 0;
    /// Revokes every refresh token of a login.
    virtual Result<void> revoke_login(const std::string& login_id) = 0;
    /// Revokes every refresh token of a user (a new password or a disabled account ends all its logins).
    virtual Result<void> revoke_user_logins(std::int64_t user_id) = 0;

    // --- login throttle --------------------------------------------------------------------------------------
    /// The failed logins counted under each key, in order (none: a count of 0).
    virtual Result<std::vector<LoginFailures>> login_failures(const std::vector<std::string>& keys) = 0;
    /// Counts one more failed login at `now` under each key, starting a key over whose last failure came before
    /// `forget_before`; returns the counts now, in order.
    virtual Result<std::vector<LoginFailures>> add_login_failure(const std::vector<std::string>& keys, util::Micros now,
                                                                 util::Micros forget_before) = 0;
    /// A login succeeded: forgets the failures under `failures_key` and records that the login of `address_key`
    /// (a user name from an address) succeeded at `now`.
    virtual Result<void> record_login_success(const std::string& failures_key, const std::string& address_key,
                                              util::Micros now) = 0;
    /// When a login of `address_key` last succeeded; nullopt when never (or too long ago to be kept).
    virtual Result<std::optional<util::Micros>> last_login_success(const std::string& address_key) = 0;

    // --- policies --------------------------------------------------------------------------------------------
    /// Every policy, by name.
    virtual Result<std::vector<domain::Policy>> list_policies() = 0;
    /// One policy by id; NotFound.
    virtual Result<domain::Policy> get_policy(const std::string& id) = 0;
    /// Stores a new policy (its id set by the caller) with the next usn; Conflict when the name is taken.
    virtual Result<domain::Policy> create_policy(const domain::Policy& policy) = 0;
    /// Replaces a policy's definition, giving it the next usn; NotFound, or Conflict when the name is taken.
    virtual Result<domain::Policy> update_policy(const domain::Policy& policy) = 0;
    /// Deletes a policy; each of its sessions gets policyRemoved and the next usn. Returns those sessions' ids.
    virtual Result<std::vector<std::int64_t>> delete_policy(const std::string& id) = 0;
    /// The last scheduled time the scheduler handled for a policy, if any.
    virtual Result<std::optional<util::Micros>> policy_last_tick(const std::string& id) = 0;
    /// Records the last scheduled time the scheduler handled for a policy.
    virtual Result<void> set_policy_last_tick(const std::string& id, util::Micros tick) = 0;
    /// Records a run whose child process has started.
    virtual Result<void> insert_policy_run(const PolicyRun& run) = 0;
    /// Forgets a run whose child process has ended.
    virtual Result<void> remove_policy_run(std::int64_t session_id) = 0;
    /// Every recorded run (at start-up: the runs of a server that stopped without ending them).
    virtual Result<std::vector<PolicyRun>> list_policy_runs() = 0;
    /// Deletes refresh tokens expired for longer than the reuse-detection grace, idempotency records created
    /// before `idempotency_before`, failed logins older than a day and login addresses unused for a year;
    /// returns how many rows went.
    virtual Result<std::int64_t> delete_expired_records(util::Micros now, util::Micros idempotency_before) = 0;
    /// Deletes at most `max_sessions` finished sessions started before `before`, with their logs, in one short
    /// write: those of policy `policy_id`, or (nullopt) those no policy's retentionDays covers.
    virtual Result<RetentionBatch> delete_old_sessions(const std::optional<std::string>& policy_id, util::Micros before,
                                                       std::int64_t max_sessions) = 0;

    // --- settings --------------------------------------------------------------------------------------------
    /// Returns the named secret, creating it from `make` on first use (shared by every server on the store).
    virtual Result<std::string> get_or_create_secret(const std::string& name,
                                                     const std::function<std::string()>& make) = 0;
};

/// How to open a store.
struct StoreOptions {
    /// SQLite: the database file path.
    std::string path;
};

/// Opens the SQLite store at `options.path`, creating it and applying migrations as needed.
Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);

} // namespace jobsessions::store
