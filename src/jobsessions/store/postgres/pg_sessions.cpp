// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's sessions, logs, lists and idempotency records.
#include "jobsessions/store/postgres/pg_lists.hpp"
#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/store/postgres/session_lookups.hpp"
#include "jobsessions/store/postgres/session_rows.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <atomic>

namespace jobsessions::store::postgres {

using domain::JobSession;

namespace {

constexpr const char* kSelectSession = "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM sessions WHERE id = $1";
constexpr const char* kSelectSessionForUpdate =
    "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM sessions WHERE id = $1 FOR UPDATE";
// In the order of the array; ids with no session left out.
constexpr const char* kSelectSessionsIn =
    "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM unnest($1::bigint[]) WITH ORDINALITY AS wanted (id, n)"
    " JOIN sessions USING (id) ORDER BY wanted.n";
constexpr const char* kSelectCreator = "SELECT created_by FROM sessions WHERE id = $1";
constexpr const char* kInsertSession =
    "INSERT INTO sessions (type, status, start_time, stop_time, usn, created_by, policy_id, policy_name,"
    " protected_instances_count, policy_removed, restore_reason, restore_policy_name, repository_id,"
    " repository_name, repository_removed, retention_deleted_count, id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
constexpr const char* kUpdateSession =
    "UPDATE sessions SET type = $1, status = $2, start_time = $3, stop_time = $4, usn = $5, created_by = $6,"
    " policy_id = $7, policy_name = $8, protected_instances_count = $9, policy_removed = $10, restore_reason = $11,"
    " restore_policy_name = $12, repository_id = $13, repository_name = $14, repository_removed = $15,"
    " retention_deleted_count = $16 WHERE id = $17 AND usn = $18";
constexpr const char* kSelectUsn =
    "SELECT usn, type, status, created_by, policy_id, start_time FROM sessions WHERE id = $1";
constexpr const char* kLastSequence = "SELECT coalesce(max(seq), 0) FROM log_entries WHERE session_id = $1";
constexpr const char* kInsertLogEntries =
    "INSERT INTO log_entries (session_id, seq, log_time, status, message, execution_start, execution_duration)"
    " SELECT $1, $2 + n, t, s, m, e, d FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[],"
    " $7::bigint[]) WITH ORDINALITY AS u (t, s, m, e, d, n)";
constexpr const char* kSelectLog =
    "SELECT " JOBSESSIONS_PG_LOG_COLUMNS " FROM log_entries WHERE session_id = $1 ORDER BY seq OFFSET $2 LIMIT $3";
constexpr const char* kSelectChanged =
    "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM sessions WHERE usn > $1 ORDER BY usn LIMIT $2";
constexpr const char* kSelectChangedOfCreator =
    "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM sessions WHERE usn > $1 AND created_by = $3 ORDER BY usn LIMIT $2";
constexpr const char* kSelectHighestUsn = "SELECT value FROM counters WHERE name = 'usn'";
constexpr const char* kSelectIdempotency =
    "SELECT encode(request_hash, 'hex'), status_code, location, body, created_at FROM idempotency_keys"
    " WHERE user_id = $1 AND key = $2";
constexpr const char* kInsertIdempotency =
    "INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, location, body, created_at)"
    " VALUES ($1, $2, decode($3, 'hex'), $4, $5, $6, $7)";
// The oldest first, along the index: without an order PostgreSQL took a LIMIT of the many old sessions for a
// short sequential scan, and read half of a million sessions (45 ms, then with the usn counter locked) to find them.
constexpr const char* kSelectOldOfPolicy = "SELECT id, status FROM sessions WHERE policy_id = $1 AND start_time < $2"
                                           " AND stop_time IS NOT NULL ORDER BY start_time, id LIMIT $3";
constexpr const char* kSelectOldOthers =
    "SELECT id, status FROM sessions WHERE start_time < $1 AND stop_time IS NOT NULL AND (policy_id IS NULL OR"
    " policy_id NOT IN (SELECT id FROM policies WHERE retention_days IS NOT NULL)) ORDER BY start_time, id LIMIT $2";
constexpr const char* kDeleteLogsOf =
    "WITH gone AS (DELETE FROM log_entries WHERE session_id = ANY($1::bigint[]) RETURNING 1) SELECT count(*) FROM gone";
// Deletes the sessions $1 and the log entries of those of them in $2 (those whose log may have grown since it was
// deleted), and uncounts the sessions from every kept count (schema.hpp), by the hour, day and period of their
// start (per policy, by day and period).
constexpr const char* kDeleteSessions =
    "WITH gone AS (DELETE FROM sessions WHERE id = ANY($1::bigint[])"
    "  RETURNING type, status, created_by, policy_id, " JOBSESSIONS_PG_START_HOUR_MINUTE " AS minute),"
    " gone_entries AS (DELETE FROM log_entries WHERE session_id = ANY($2::bigint[]) RETURNING 1),"
    " overall AS (INSERT INTO session_totals AS t (type, status, created_by, n)"
    "  SELECT type, status, created_by, -count(*) FROM gone GROUP BY 1, 2, 3"
    "  ON CONFLICT (type, status, created_by) DO UPDATE SET n = t.n + EXCLUDED.n),"
    " per_policy AS (INSERT INTO session_policy_totals AS t (policy_id, type, status, created_by, n)"
    "  SELECT policy_id, type, status, created_by, -count(*) FROM gone WHERE policy_id IS NOT NULL"
    "  GROUP BY 1, 2, 3, 4 ON CONFLICT (policy_id, type, status, created_by) DO UPDATE SET n = t.n + EXCLUDED.n),"
    " in_time AS (INSERT INTO session_time_totals AS t (span, bucket, type, status, created_by, n)"
    "  SELECT spans.span, floor(minute / spans.span::numeric)::bigint, type, status, created_by, -count(*)"
    "  FROM gone CROSS JOIN " JOBSESSIONS_PG_SPANS " AS spans (span) GROUP BY 1, 2, 3, 4, 5"
    "  ON CONFLICT (span, bucket, type, status, created_by) DO UPDATE SET n = t.n + EXCLUDED.n),"
    " per_policy_in_time AS (INSERT INTO session_policy_time_totals AS t"
    "  (policy_id, span, bucket, type, status, created_by, n)"
    "  SELECT policy_id, spans.span, floor(minute / spans.span::numeric)::bigint, type, status, created_by,"
    "  -count(*) FROM gone CROSS JOIN " JOBSESSIONS_PG_POLICY_SPANS " AS spans (span) WHERE policy_id IS NOT NULL"
    "  GROUP BY 1, 2, 3, 4, 5, 6"
    "  ON CONFLICT (policy_id, span, bucket, type, status, created_by) DO UPDATE SET n = t.n + EXCLUDED.n),"
    // The sessions' version moves (schema.hpp): every list a server keeps is stale now.
    " deletions AS (UPDATE counters SET value = value + 1 WHERE name = 'deletions')"
    " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM gone_entries)";

Result<std::vector<JobSession>> read_sessions(const Rows& rows)
{
    std::vector<JobSession> out;
    out.reserve(static_cast<std::size_t>(rows.count()));
    for (int r = 0; r < rows.count(); ++r) {
        auto s = read_session(rows, r);
        if (!s) {
            return s.error();
        }
        out.push_back(std::move(*s));
    }
    return out;
}

/// $1..$16 of kInsertSession and kUpdateSession.
std::vector<Param> session_params(const JobSession& s)
{
    const auto& b = s.backup_info;
    const auto& r = s.restore_info;
    const auto& p = s.repository_info;
    return {param(domain::to_string(s.type)),
            param(domain::to_string(s.status)),
            param(s.start_time),
            param_or_null(s.stop_time),
            param(s.usn),
            param(s.created_by),
            b ? param(b->policy_id) : std::nullopt,
            b ? param(b->policy_name) : std::nullopt,
            b ? param(b->protected_instances_count) : std::nullopt,
            b ? flag(b->policy_removed) : std::nullopt,
            r ? param(r->reason) : std::nullopt,
            r ? param(r->backup_policy_display_name) : std::nullopt,
            p ? param(p->repository_id) : std::nullopt,
            p ? param(p->repository_name) : std::nullopt,
            p ? flag(p->repository_removed) : std::nullopt,
            s.retention_info ? param(s.retention_info->deleted_restore_points_count) : std::nullopt};
}

JobSession session_of(const NewSession& n)
{
    JobSession s;
    s.type = n.type;
    s.status = n.status;
    s.start_time = n.start_time;
    s.stop_time = n.stop_time;
    s.created_by = n.created_by;
    s.backup_info = n.backup_info;
    s.restore_info = n.restore_info;
    s.repository_info = n.repository_info;
    s.retention_info = n.retention_info;
    return s;
}

/// Appends entries after sequence `after` (deferred: sent with the transaction's next statement); returns the last
/// sequence given.
std::int64_t insert_log(Connection& db, std::int64_t session_id, std::int64_t after,
                        const std::vector<NewLogEntry>& entries)
{
    if (entries.empty()) {
        return after;
    }
    std::vector<std::int64_t> times;
    std::vector<std::string> statuses;
    std::vector<std::string> messages;
    std::vector<std::int64_t> starts;
    std::vector<std::int64_t> durations;
    for (const auto& e : entries) {
        times.push_back(e.log_time);
        statuses.emplace_back(domain::to_string(e.status));
        messages.push_back(e.message);
        starts.push_back(e.execution_start_time);
        durations.push_back(e.execution_duration);
    }
    db.defer(Statement{kInsertLogEntries,
                       {param(session_id), param(after), int_array(times), text_array(statuses), text_array(messages),
                        int_array(starts), int_array(durations)}});
    return after + static_cast<std::int64_t>(entries.size());
}

/// Records the answer of a write for its Idempotency-Key, in the write's transaction (deferred: a key recorded
/// meanwhile fails the write at its next statement, at the latest at COMMIT).
void insert_idempotency(Connection& db, const IdempotencyWrite* idempotency, const WriteOutcome& outcome,
                        util::Micros now)
{
    if (idempotency == nullptr) {
        return;
    }
    IdempotencyRecord record;
    record.user_id = idempotency->user_id;
    record.key = idempotency->key;
    record.request_hash = idempotency->request_hash;
    record.status_code = idempotency->status_code;
    if (idempotency->render) {
        idempotency->render(outcome, record);
    }
    db.defer(Statement{kInsertIdempotency,
                       {param(record.user_id), param(record.key), hex_of(record.request_hash),
                        param(record.status_code), param(record.location), param(record.body), param(now)}});
}

/// Inserts a session and its first log entries, deferred (sent with the transaction's next statement). In a write
/// batch its id and usn are the batch's, taken in memory: no round trip of its own.
Result<JobSession> insert_session(Connection& db, const NewSession& session)
{
    auto s = session_of(session);
    auto id = take_session_id(db);
    if (!id) {
        return id.error();
    }
    s.id = *id;
    auto usn = next_usn(db);
    if (!usn) {
        return usn.error();
    }
    s.usn = *usn;
    auto params = session_params(s);
    params.push_back(param(s.id));
    db.defer(Statement{kInsertSession, std::move(params)});
    count_session(db, s, 1);
    insert_log(db, s.id, 0, session.log);
    return s;
}

/// Walks matching sessions by keyset pages on pooled connections: holds no connection between pages.
class PgSessionCursor final : public SessionCursor {
public:
    PgSessionCursor(ConnectionPool& pool, SessionFilter filter)
        : pool_(pool)
        , filter_(std::move(filter))
    {
    }

    Result<bool> next(JobSession& out) override
    {
        if (at_ == page_.size()) {
            if (done_) {
                return false;
            }
            if (auto read = read_page(); !read) {
                return read.error();
            }
            if (page_.empty()) {
                done_ = true;
                return false;
            }
        }
        out = std::move(page_[at_++]);
        return true;
    }

private:
    static constexpr std::int64_t kPage = 500;

    Result<void> read_page()
    {
        std::vector<Param> params;
        auto where = where_of(filter_, params);
        if (last_) {
            where += where.empty() ? " WHERE " : " AND ";
            params.push_back(param(last_->first));
            params.push_back(param(last_->second));
            where += "(start_time, id) < ($" + std::to_string(params.size() - 1) + ", $" +
                     std::to_string(params.size()) + ")";
        }
        params.push_back(param(kPage));
        const auto sql = "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM sessions" + where +
                         " ORDER BY start_time DESC, id DESC LIMIT $" + std::to_string(params.size());
        auto lease = pool_.acquire();
        if (!lease) {
            return lease.error();
        }
        auto rows = (*lease)->exec_built(sql, params);
        if (!rows) {
            return rows.error();
        }
        auto sessions = read_sessions(*rows);
        if (!sessions) {
            return sessions.error();
        }
        page_ = std::move(*sessions);
        at_ = 0;
        done_ = static_cast<std::int64_t>(page_.size()) < kPage;
        if (!page_.empty()) {
            last_ = std::pair{page_.back().start_time, page_.back().id};
        }
        return {};
    }

    ConnectionPool& pool_;
    SessionFilter filter_;
    std::vector<JobSession> page_;
    std::size_t at_ = 0;
    bool done_ = false;
    std::optional<std::pair<std::int64_t, std::int64_t>> last_;
};

/// Keys of the stores opened, for their lookup connections.
std::atomic<std::uint64_t> next_store_key{1};

/// The page at `offset` of `filter`'s list, placed by the counts `counter` reads: its keys and its sessions, read in
/// one statement (one round trip, one snapshot). With `version`, that statement reads the sessions' version into it
/// too (left unset when no statement is sent: the counter missed a count, or the page is past the end). A counter
/// that missed leaves the page to be thrown away.
Result<PageKeys> list_page(Counter& counter, const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                           std::optional<std::int64_t>* version)
{
    auto total = count_matching(counter, filter);
    if (!total) {
        return total.error();
    }
    PageKeys page;
    page.total_count = *total;
    page.sessions.emplace();
    if (counter.missed() || limit == 0 || offset >= page.total_count) {
        return page;
    }
    auto start = seek_page(counter, filter, offset);
    if (!start) {
        return start.error();
    }
    if (counter.missed()) {
        return page;
    }
    auto narrowed = filter;
    narrowed.to = start->to;
    std::vector<Param> params;
    const auto sql = page_statement(narrowed, start->offset, limit, version != nullptr, params);
    auto rows = counter.connection().exec_built(sql, params);
    if (!rows) {
        return rows.error();
    }
    for (int r = 0; r < rows->count(); ++r) {
        if (version) {
            *version = rows->int64(r, kSessionColumnCount);
            if (rows->null(r, 0)) {
                continue;
            }
        }
        auto session = read_session(*rows, r);
        if (!session) {
            return session.error();
        }
        page.keys.push_back(SessionKey{session->id, session->usn});
        page.sessions->push_back(std::move(*session));
    }
    return page;
}

} // namespace

Result<domain::LogEntry> read_log_entry(const Rows& rows, int r, int first, std::int64_t session_id)
{
    domain::LogEntry e;
    e.session_id = session_id;
    e.sequence = rows.int64(r, first);
    e.log_time = rows.int64(r, first + 1);
    const auto status = domain::parse_session_status(rows.text(r, first + 2));
    if (!status) {
        return StoreError{StoreErrc::Corrupt,
                          "a log entry of session " + std::to_string(session_id) + " has an unknown status"};
    }
    e.status = *status;
    e.message = std::string(rows.text(r, first + 3));
    e.execution_start_time = rows.int64(r, first + 4);
    e.execution_duration = rows.int64(r, first + 5);
    return e;
}

Result<JobSession> read_session(const Rows& rows, int r)
{
    JobSession s;
    s.id = rows.int64(r, 0);
    const auto type = domain::parse_session_type(rows.text(r, 1));
    const auto status = domain::parse_session_status(rows.text(r, 2));
    if (!type || !status) {
        return StoreError{StoreErrc::Corrupt, "session " + std::to_string(s.id) + " has an unknown type or status"};
    }
    s.type = *type;
    s.status = *status;
    s.start_time = rows.int64(r, 3);
    s.stop_time = rows.optional_int64(r, 4);
    s.usn = rows.int64(r, 5);
    s.created_by = rows.int64(r, 6);
    if (!rows.null(r, 7)) {
        s.backup_info = domain::BackupJobInfo{std::string(rows.text(r, 7)), std::string(rows.text(r, 8)),
                                              rows.int64(r, 9), rows.boolean(r, 10)};
    }
    if (!rows.null(r, 11)) {
        s.restore_info = domain::RestoreJobInfo{std::string(rows.text(r, 11)), std::string(rows.text(r, 12))};
    }
    if (!rows.null(r, 13)) {
        s.repository_info = domain::RepositoryJobInfo{std::string(rows.text(r, 13)), std::string(rows.text(r, 14)),
                                                      rows.boolean(r, 15)};
    }
    if (!rows.null(r, 16)) {
        s.retention_info = domain::RetentionJobInfo{rows.int64(r, 16)};
    }
    return s;
}

PgStore::PgStore(const std::string& conninfo, std::size_t connections)
    : conninfo_(conninfo)
    , key_(next_store_key.fetch_add(1, std::memory_order_relaxed))
    , pool_(conninfo, connections)
    , writer_(conninfo)
{
}

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& conninfo, std::size_t connections)
{
    std::unique_ptr<PgStore> store(new PgStore(conninfo, connections));
    if (auto migrated = migrate(store->pool_); !migrated) {
        return migrated.error();
    }
    if (auto filled = store->pool_.fill(); !filled) {
        return filled.error();
    }
    return store;
}

Result<Rows> PgStore::query(const char* sql, const std::vector<Param>& params)
{
    auto lease = pool_.acquire();
    if (!lease) {
        return lease.error();
    }
    return (*lease)->exec(sql, params);
}

Result<Rows> PgStore::prepared(const char* sql, const std::vector<Param>& params)
{
    auto lease = pool_.acquire();
    if (!lease) {
        return lease.error();
    }
    return (*lease)->exec_prepared(sql, params);
}

Result<JobSession> PgStore::get_session(std::int64_t id)
{
    auto rows = prepared(kSelectSession, {param(id)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::NotFound, "session not found"};
    }
    return read_session(*rows, 0);
}

void PgStore::get_session_later(std::int64_t id, boost::asio::io_context& io, SessionReply reply)
{
    look_up_session(io, key_, conninfo_, id, std::move(reply));
}

void PgStore::sessions_version_later(boost::asio::io_context& io, VersionReply reply)
{
    // The version a page is checked against is the newest one its listing may find its counts kept at.
    read_sessions_version(io, key_, conninfo_,
                          [kept = kept_counts_, reply = std::move(reply)](Result<std::int64_t> version) {
                              if (version) {
                                  kept->saw_version(*version);
                              }
                              reply(std::move(version));
                          });
}

void PgStore::get_log_later(std::int64_t session_id, std::int64_t offset, std::int64_t limit,
                            boost::asio::io_context& io, LogReply reply)
{
    read_log(io, key_, conninfo_, LogAsked{session_id, offset, limit}, std::move(reply));
}

Result<std::int64_t> PgStore::get_session_creator(std::int64_t id)
{
    auto rows = prepared(kSelectCreator, {param(id)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::NotFound, "session not found"};
    }
    return rows->int64(0, 0);
}

Result<JobSession> PgStore::create_session(const NewSession& session, const IdempotencyWrite* idempotency)
{
    return writer_.write<JobSession>(
        [&](Connection& db) -> Result<JobSession> {
            auto created = insert_session(db, session);
            if (!created) {
                return created.error();
            }
            announce(db, std::to_string(created->id));
            insert_idempotency(db, idempotency, WriteOutcome{*created}, util::now_micros());
            return created;
        },
        1);
}

Result<void> PgStore::import_sessions(const std::vector<NewSession>& sessions)
{
    return writer_.write<void>(
        [&](Connection& db) -> Result<void> {
            for (const auto& session : sessions) {
                if (auto created = insert_session(db, session); !created) {
                    return created.error();
                }
            }
            announce(db, kAnnounceAllSessions);
            return {};
        },
        static_cast<std::int64_t>(sessions.size()));
}

Result<JobSession> PgStore::replace_session(const JobSession& next, std::int64_t expected_usn,
                                            const IdempotencyWrite* idempotency)
{
    return writer_.write<JobSession>([&](Connection& db) -> Result<JobSession> {
        auto current = db.exec_prepared(kSelectUsn, {param(next.id)});
        if (!current) {
            return current.error();
        }
        if (current->count() == 0) {
            return StoreError{StoreErrc::NotFound, "session not found"};
        }
        if (current->int64(0, 0) != expected_usn) {
            return StoreError{StoreErrc::Conflict, "session changed meanwhile"};
        }
        auto usn = next_usn(db);
        if (!usn) {
            return usn.error();
        }
        JobSession stored = next;
        stored.usn = *usn;
        auto params = session_params(stored);
        params.push_back(param(stored.id));
        params.push_back(param(expected_usn));
        auto updated = db.exec_prepared(kUpdateSession, params);
        if (!updated) {
            return updated.error();
        }
        if (updated->affected() == 0) { // changed between the check and the counter's lock
            return StoreError{StoreErrc::Conflict, "session changed meanwhile"};
        }
        // The kept counts move from the key it had to the one it has.
        JobSession was;
        was.type = domain::parse_session_type(current->text(0, 1)).value_or(stored.type);
        was.status = domain::parse_session_status(current->text(0, 2)).value_or(stored.status);
        was.created_by = current->int64(0, 3);
        was.start_time = current->int64(0, 5);
        if (!current->null(0, 4)) {
            was.backup_info = domain::BackupJobInfo{std::string(current->text(0, 4)), {}, 0, false};
        }
        count_session(db, was, -1);
        count_session(db, stored, 1);
        announce(db, std::to_string(stored.id));
        insert_idempotency(db, idempotency, WriteOutcome{stored}, util::now_micros());
        return stored;
    });
}

Result<LogAppend> PgStore::append_log(std::int64_t session_id, const std::vector<NewLogEntry>& entries,
                                      const IdempotencyWrite* idempotency)
{
    return writer_.write<LogAppend>([&](Connection& db) -> Result<LogAppend> {
        // The row lock orders appends to one session and holds off a change to a final status meanwhile; the last
        // sequence is read after it, in the same round trip.
        auto read =
            db.exec_pipelined({{kSelectSessionForUpdate, {param(session_id)}}, {kLastSequence, {param(session_id)}}});
        if (!read) {
            return read.error();
        }
        const auto& rows = (*read)[0];
        if (rows.count() == 0) {
            return StoreError{StoreErrc::NotFound, "session not found"};
        }
        auto session = read_session(rows, 0);
        if (!session) {
            return session.error();
        }
        LogAppend appended;
        appended.session = std::move(*session);
        if (domain::is_final(appended.session.status)) {
            appended.refused_final = true;
            return appended;
        }
        const auto after = (*read)[1].int64(0, 0);
        appended.first_sequence = after + 1;
        appended.last_sequence = insert_log(db, session_id, after, entries);
        insert_idempotency(db, idempotency,
                           WriteOutcome{appended.session, appended.first_sequence, appended.last_sequence},
                           util::now_micros());
        announce(db, std::to_string(session_id));
        return appended;
    });
}

Result<PageKeys> PgStore::list_session_keys(const SessionFilter& filter, std::int64_t offset, std::int64_t limit)
{
    auto lease = pool_.acquire();
    if (!lease) {
        return lease.error();
    }
    if (offset < kSeekFromOffset) {
        Counter counter(**lease, nullptr, std::nullopt);
        return list_page(counter, filter, offset, limit, nullptr);
    }
    // A deep page placed by the counts kept at the newest version seen, when every one it passes over is kept
    // there, reads its keys, rows and the sessions' version in one statement (one snapshot): the page is right if the
    // store is still at that version. Under writes it mostly is not kept, and costs nothing more.
    if (const auto newest = kept_counts_->newest_version()) {
        Counter kept_only(**lease, kept_counts_.get(), *newest, true);
        std::optional<std::int64_t> version;
        auto page = list_page(kept_only, filter, offset, limit, &version);
        if (!page) {
            return page.error();
        }
        if (!kept_only.missed() && version == newest) {
            return page;
        }
        if (version) {
            kept_counts_->saw_version(*version);
        }
    }
    // Else it reads the counts it passes over and the sessions it skips in one snapshot, the counts read before
    // at the snapshot's version from those kept.
    auto version = begin_read_snapshot(**lease);
    if (!version) {
        return version.error();
    }
    Counter counter(**lease, kept_counts_.get(), *version);
    auto page = list_page(counter, filter, offset, limit, nullptr);
    if (auto ended = (*lease)->exec(page ? "COMMIT" : "ROLLBACK"); !ended && page) {
        return ended.error();
    }
    // A failed ROLLBACK broke the connection (the pool drops it): the read's own error says what went wrong.
    return page;
}

Result<std::vector<JobSession>> PgStore::get_sessions(const std::vector<SessionKey>& keys)
{
    if (keys.empty()) {
        return std::vector<JobSession>{};
    }
    std::vector<std::int64_t> ids;
    ids.reserve(keys.size());
    for (const auto& key : keys) {
        ids.push_back(key.id);
    }
    auto rows = prepared(kSelectSessionsIn, {int_array(ids)});
    if (!rows) {
        return rows.error();
    }
    return read_sessions(*rows);
}

Result<std::int64_t> PgStore::count_sessions(const SessionFilter& filter)
{
    auto lease = pool_.acquire();
    if (!lease) {
        return lease.error();
    }
    Counter counter(**lease, nullptr, std::nullopt);
    return count_matching(counter, filter);
}

Result<std::unique_ptr<SessionCursor>> PgStore::open_session_cursor(const SessionFilter& filter)
{
    return std::unique_ptr<SessionCursor>(std::make_unique<PgSessionCursor>(pool_, filter));
}

Result<std::vector<JobSession>> PgStore::changed_sessions(std::int64_t after_usn, std::int64_t limit,
                                                          std::optional<std::int64_t> created_by)
{
    auto rows = created_by ? prepared(kSelectChangedOfCreator, {param(after_usn), param(limit), param(*created_by)})
                           : prepared(kSelectChanged, {param(after_usn), param(limit)});
    if (!rows) {
        return rows.error();
    }
    return read_sessions(*rows);
}

Result<std::int64_t> PgStore::highest_usn()
{
    auto rows = prepared(kSelectHighestUsn);
    if (!rows) {
        return rows.error();
    }
    return rows->int64(0, 0);
}

Result<std::vector<domain::LogEntry>> PgStore::get_log(std::int64_t session_id, std::int64_t offset, std::int64_t limit)
{
    auto rows = prepared(kSelectLog, {param(session_id), param(offset), limit < 0 ? Param{} : param(limit)});
    if (!rows) {
        return rows.error();
    }
    std::vector<domain::LogEntry> entries;
    entries.reserve(static_cast<std::size_t>(rows->count()));
    for (int r = 0; r < rows->count(); ++r) {
        auto entry = read_log_entry(*rows, r, 0, session_id);
        if (!entry) {
            return entry.error();
        }
        entries.push_back(std::move(*entry));
    }
    return entries;
}

Result<RetentionBatch> PgStore::delete_old_sessions(const std::optional<std::string>& policy_id, util::Micros before,
                                                    std::int64_t max_sessions)
{
    auto old = policy_id ? prepared(kSelectOldOfPolicy, {param(*policy_id), param(before), param(max_sessions)})
                         : prepared(kSelectOldOthers, {param(before), param(max_sessions)});
    if (!old) {
        return old.error();
    }
    RetentionBatch batch;
    if (old->count() == 0) {
        return batch;
    }
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> not_final; // stopped, but not final: the store allows it, and appends to them
    ids.reserve(static_cast<std::size_t>(old->count()));
    for (int r = 0; r < old->count(); ++r) {
        ids.push_back(old->int64(r, 0));
        const auto status = domain::parse_session_status(old->text(r, 1));
        if (!status || !domain::is_final(*status)) {
            not_final.push_back(ids.back());
        }
    }
    // An append to a final session is refused under its row lock, so their logs no longer change: the logs go
    // first, holding up no write (20,000 entries took 25-30 ms), and what was appended meanwhile to the others goes
    // with the sessions. If that fails, the next pass deletes the sessions, their logs emptied already.
    auto entries = prepared(kDeleteLogsOf, {int_array(ids)});
    if (!entries) {
        return entries.error();
    }
    batch.log_entries = entries->int64(0, 0);
    return pool_.transaction([&](Connection& db) -> Result<RetentionBatch> {
        // Write batches are held off until this one commits: the locks of sessions and kept counts are taken in
        // the writers' order, the usn counter's first, so that neither waits for the other in a cycle.
        if (auto locked = lock_usn_counter(db); !locked) {
            return locked.error();
        }
        auto deleted = db.exec_prepared(kDeleteSessions, {int_array(ids), int_array(not_final)});
        if (!deleted) {
            return deleted.error();
        }
        batch.sessions = deleted->int64(0, 0);
        batch.log_entries += deleted->int64(0, 1);
        return batch;
    });
}

Result<std::optional<IdempotencyRecord>> PgStore::find_idempotency(std::int64_t user_id, const std::string& key)
{
    auto rows = prepared(kSelectIdempotency, {param(user_id), param(key)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return std::optional<IdempotencyRecord>{};
    }
    IdempotencyRecord record;
    record.user_id = user_id;
    record.key = key;
    record.request_hash = bytes_of(rows->text(0, 0));
    record.status_code = static_cast<int>(rows->int64(0, 1));
    record.location = std::string(rows->text(0, 2));
    record.body = std::string(rows->text(0, 3));
    record.created_at = rows->int64(0, 4);
    return std::optional<IdempotencyRecord>(std::move(record));
}

} // namespace jobsessions::store::postgres
