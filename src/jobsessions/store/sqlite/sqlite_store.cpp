// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/sqlite_store.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/store/migrations/sqlite_migrations.hpp"
#include "jobsessions/store/sqlite/backup.hpp"
#include "jobsessions/store/sqlite/session_query.hpp"
#include "jobsessions/util/strings.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>

namespace jobsessions::store::sqlite {
namespace {

using domain::JobSession;
using domain::LogEntry;
using domain::User;

// --- statements --------------------------------------------------------------------------------------------------

// The statements that read whole sessions select kSessionColumns, in the order read_session expects. Built once:
// Connection::prepare caches a statement by the address of its text, which these strings keep for good.
std::string select_sessions(std::string_view rest)
{
    return std::string("SELECT ") + kSessionColumns + " FROM sessions " + std::string(rest);
}
const std::string kSelectSession = select_sessions("WHERE id = ?1");
// The rows of a page, by a JSON array of ids (SQLite has no array parameter). The array drives the join, so
// each id is one primary-key lookup and the rows come in the array's order; `WHERE id IN (…)` would first copy
// the ids into a temporary index.
const std::string kSelectSessionsIn = std::string("SELECT ") + kSessionColumns +
                                      " FROM (SELECT value AS page_id FROM json_each(?1))"
                                      " CROSS JOIN sessions ON sessions.id = page_id";
const std::string kSelectChangedSessions = select_sessions("WHERE usn > ?1 ORDER BY usn LIMIT ?2");
const std::string kSelectChangedSessionsOfCreator =
    select_sessions("WHERE usn > ?1 AND created_by = ?3 ORDER BY usn LIMIT ?2");

constexpr const char* kInsertSession =
    "INSERT INTO sessions (type, status, start_time, stop_time, usn, created_by, policy_id, policy_name,"
    " protected_instances_count, policy_removed, restore_reason, restore_policy_name, repository_id,"
    " repository_name, repository_removed, retention_deleted_count)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
constexpr const char* kUpdateSession =
    "UPDATE sessions SET type = ?1, status = ?2, start_time = ?3, stop_time = ?4, usn = ?5, created_by = ?6,"
    " policy_id = ?7, policy_name = ?8, protected_instances_count = ?9, policy_removed = ?10,"
    " restore_reason = ?11, restore_policy_name = ?12, repository_id = ?13, repository_name = ?14,"
    " repository_removed = ?15, retention_deleted_count = ?16 WHERE id = ?17 AND usn = ?18";
constexpr const char* kSelectSessionCreator = "SELECT created_by FROM sessions WHERE id = ?1";
constexpr const char* kSelectSessionUsnStatus = "SELECT usn, status FROM sessions WHERE id = ?1";
// What a session is counted under before a change (SessionCounts), if it still has the usn the change expects.
const std::string kSelectCountedAs =
    std::string("SELECT ") + kCountedColumns + " FROM sessions WHERE id = ?1 AND usn = ?2";
constexpr const char* kLastLogSequence = "SELECT max(seq) FROM log_entries WHERE session_id = ?1";
// Log entries go in by statements of several rows: a statement opens its cursors once and ends once, and the
// rows after the first find the b-tree page the one before them left (appends are at the end of their session).
constexpr int kLogColumns = 7;
std::string insert_log_entries_sql(std::size_t rows)
{
    std::string sql = "INSERT INTO log_entries (session_id, seq, log_time, status, message, execution_start,"
                      " execution_duration) VALUES ";
    int parameter = 0;
    for (std::size_t row = 0; row < rows; ++row) {
        sql += row == 0 ? "(" : ", (";
        for (int column = 0; column < kLogColumns; ++column) {
            sql += (column == 0 ? "?" : ", ?") + std::to_string(++parameter);
        }
        sql += ")";
    }
    return sql;
}
struct LogInsert {
    std::size_t rows;
    std::string sql;
};
// Largest first; any number of entries is a sum of these.
const std::array<LogInsert, 3> kInsertLogEntries = {{
    {32, insert_log_entries_sql(32)},
    {8, insert_log_entries_sql(8)},
    {1, insert_log_entries_sql(1)},
}};
constexpr const char* kSelectLog =
    "SELECT seq, log_time, status, message, execution_start, execution_duration FROM log_entries"
    " WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

constexpr const char* kSelectHighestUsn = "SELECT value FROM counters WHERE name = 'usn'";

constexpr const char* kSelectIdempotency =
    "SELECT request_hash, status_code, location, body, created_at FROM idempotency_keys"
    " WHERE user_id = ?1 AND key = ?2";
constexpr const char* kInsertIdempotency =
    "INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, location, body, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

constexpr const char* kSelectUsers =
    "SELECT id, name, role, password_hash, disabled, created_at FROM users ORDER BY id";
constexpr const char* kSelectUserByName =
    "SELECT id, name, role, password_hash, disabled, created_at FROM users WHERE name = ?1";
constexpr const char* kInsertUser =
    "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kUpdateUser = "UPDATE users SET role = ?2, password_hash = ?3, disabled = ?4 WHERE id = ?1";
constexpr const char* kDeleteUser = "DELETE FROM users WHERE id = ?1";

constexpr const char* kInsertRefreshToken =
    "INSERT INTO refresh_tokens (token_hash, login_id, user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kSelectRefreshToken =
    "SELECT login_id, user_id, expires_at, used, revoked FROM refresh_tokens WHERE token_hash = ?1";
constexpr const char* kSpendRefreshToken = "UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?1";
constexpr const char* kRevokeLogin = "UPDATE refresh_tokens SET revoked = 1 WHERE login_id = ?1";
constexpr const char* kRevokeUserLogins = "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1";
constexpr const char* kDeleteExpiredRefreshTokens = "DELETE FROM refresh_tokens WHERE expires_at < ?1";
constexpr const char* kDeleteOldIdempotency =
    "DELETE FROM idempotency_keys INDEXED BY idempotency_keys_by_age WHERE created_at < ?1";

constexpr const char* kSelectSetting = "SELECT value FROM settings WHERE name = ?1";
// A round's read transaction: deferred, so the snapshot is taken by the first read after it.
constexpr const char* kBeginRead = "BEGIN";
constexpr const char* kEndRead = "COMMIT";
constexpr const char* kInsertSettingIfAbsent = "INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)";

// Each write of a batch runs under a savepoint, whose journal of the pages it changes is kept in memory
// (temp_store): otherwise SQLite spills it to a temporary file past 64 KiB, a syscall per page.
constexpr const char* kPragmasWriter = "PRAGMA journal_mode = WAL;"
                                       "PRAGMA synchronous = FULL;"
                                       "PRAGMA temp_store = MEMORY;"
                                       "PRAGMA foreign_keys = ON;"
                                       "PRAGMA busy_timeout = 10000;";
// Readers map the file (up to SQLite's compiled-in limit of just under 2 GiB): a page read is then a memory
// access, not a pread and a copy. The mapped pages are the kernel's page cache, shared and reclaimable.
constexpr const char* kPragmasReader = "PRAGMA query_only = ON;"
                                       "PRAGMA busy_timeout = 10000;"
                                       "PRAGMA mmap_size = 2147418112;";
// A cursor reads a whole result once: a small page cache and no memory map, so a long export does not grow
// the server's memory with the pages it passes.
constexpr const char* kPragmasCursor = "PRAGMA query_only = ON;"
                                       "PRAGMA busy_timeout = 10000;"
                                       "PRAGMA mmap_size = 0;"
                                       "PRAGMA cache_size = -2048;";

// Refresh tokens kept after they expire, so that a late reuse is still recognised as reuse for a while.
constexpr util::Micros kExpiredTokenGrace = 7LL * 24 * 3600 * util::kMicrosPerSecond;
// Failed logins are counted over an hour by default and a day at most; where a login succeeded counts for 90 days.
constexpr util::Micros kLoginFailureLifetime = util::kMicrosPerDay;
constexpr util::Micros kLoginAddressLifetime = 366 * util::kMicrosPerDay;
constexpr const char* kDeleteOldLoginFailures = "DELETE FROM login_failures WHERE last_failure < ?1";
constexpr const char* kDeleteOldLoginAddresses = "DELETE FROM login_addresses WHERE last_success < ?1";

std::atomic<std::uint64_t> g_next_store_id{1};

} // namespace

struct ReaderSlot {
    std::uint64_t store_id;
    Connection* connection;
    /// Between begin_read_round() and end_read_round() on this thread.
    bool in_round = false;
    /// The writer's commit count when the open read transaction began.
    std::uint64_t snapshot_commits = 0;
};

namespace {

thread_local std::vector<ReaderSlot> t_readers;

// --- row mapping -------------------------------------------------------------------------------------------------

// Binds parameters 1..16 in the column order of kInsertSession and kUpdateSession.
void bind_session(Statement& stmt, const JobSession& s)
{
    stmt.bind(1, domain::to_string(s.type));
    stmt.bind(2, domain::to_string(s.status));
    stmt.bind(3, s.start_time);
    stmt.bind(4, s.stop_time);
    stmt.bind(5, s.usn);
    stmt.bind(6, s.created_by);
    for (int i = 7; i <= 16; ++i) {
        stmt.bind_null(i);
    }
    if (s.backup_info) {
        stmt.bind(7, std::string_view(s.backup_info->policy_id));
        stmt.bind(8, std::string_view(s.backup_info->policy_name));
        stmt.bind(9, s.backup_info->protected_instances_count);
        stmt.bind(10, std::int64_t{s.backup_info->policy_removed ? 1 : 0});
    }
    if (s.restore_info) {
        stmt.bind(11, std::string_view(s.restore_info->reason));
        stmt.bind(12, std::string_view(s.restore_info->backup_policy_display_name));
    }
    if (s.repository_info) {
        stmt.bind(13, std::string_view(s.repository_info->repository_id));
        stmt.bind(14, std::string_view(s.repository_info->repository_name));
        stmt.bind(15, std::int64_t{s.repository_info->repository_removed ? 1 : 0});
    }
    if (s.retention_info) {
        stmt.bind(16, s.retention_info->deleted_restore_points_count);
    }
}

Result<User> read_user(const Statement& row)
{
    User u;
    u.id = row.column_int64(0);
    u.name = std::string(row.column_text(1));
    const auto role = domain::parse_role(row.column_text(2));
    if (!role) {
        return StoreError{StoreErrc::Corrupt, "user " + u.name + " has an unknown role"};
    }
    u.role = *role;
    u.password_hash = std::string(row.column_text(3));
    u.disabled = row.column_int64(4) != 0;
    u.created_at = row.column_int64(5);
    return u;
}

// Inserts a new session with the next usn; the answer carries its id and usn.
Result<JobSession> insert_session(Connection& db, UsnCounter& usns, SessionCounts& counts, const NewSession& session)
{
    auto usn = usns.next(db);
    if (!usn) {
        return usn.error();
    }
    JobSession created;
    created.type = session.type;
    created.status = session.status;
    created.start_time = session.start_time;
    created.stop_time = session.stop_time;
    created.usn = *usn;
    created.created_by = session.created_by;
    created.backup_info = session.backup_info;
    created.restore_info = session.restore_info;
    created.repository_info = session.repository_info;
    created.retention_info = session.retention_info;
    auto stmt = db.prepare(kInsertSession);
    if (!stmt) {
        return stmt.error();
    }
    bind_session(*stmt, created);
    if (auto r = stmt->run(); !r) {
        return r.error();
    }
    created.id = sqlite3_last_insert_rowid(db.handle());
    counts.count(counted_as(created), 1);
    return created;
}

// Inserts log entries numbered from `after_sequence + 1`; returns the last sequence number given.
Result<std::int64_t> insert_log_entries(Connection& db, std::int64_t session_id, std::int64_t after_sequence,
                                        const std::vector<NewLogEntry>& entries)
{
    if (entries.empty()) {
        return after_sequence;
    }
    std::int64_t sequence = after_sequence;
    std::size_t next = 0;
    for (const auto& statement : kInsertLogEntries) {
        while (entries.size() - next >= statement.rows) {
            auto insert = db.prepare(statement.sql.c_str());
            if (!insert) {
                return insert.error();
            }
            int parameter = 0;
            for (std::size_t row = 0; row < statement.rows; ++row) {
                const auto& entry = entries[next++];
                insert->bind(++parameter, session_id);
                insert->bind(++parameter, ++sequence);
                insert->bind(++parameter, entry.log_time);
                insert->bind(++parameter, domain::to_string(entry.status));
                insert->bind(++parameter, std::string_view(entry.message));
                insert->bind(++parameter, entry.execution_start_time);
                insert->bind(++parameter, entry.execution_duration);
            }
            if (auto r = insert->run(); !r) {
                return r.error();
            }
            insert->reset();
        }
    }
    return sequence;
}

Result<void> insert_idempotency(Connection& db, const IdempotencyWrite* idempotency, const WriteOutcome& outcome)
{
    if (idempotency == nullptr) {
        return {};
    }
    IdempotencyRecord record;
    record.user_id = idempotency->user_id;
    record.key = idempotency->key;
    record.request_hash = idempotency->request_hash;
    record.status_code = idempotency->status_code;
    record.created_at = util::now_micros();
    if (idempotency->render) {
        idempotency->render(outcome, record);
    }
    auto stmt = db.prepare(kInsertIdempotency);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, record.user_id);
    stmt->bind(2, std::string_view(record.key));
    stmt->bind_blob(3, record.request_hash);
    stmt->bind(4, std::int64_t{record.status_code});
    stmt->bind(5, std::string_view(record.location));
    stmt->bind_blob(6, record.body);
    stmt->bind(7, record.created_at);
    return stmt->run();
}

Result<void> apply_migrations(Connection& db)
{
    std::int64_t current = 0;
    {
        // Finalised before the migrations run: a statement still open would lock the tables an index is dropped from.
        auto version_stmt = db.prepare("PRAGMA user_version");
        if (!version_stmt) {
            return version_stmt.error();
        }
        auto row = version_stmt->step();
        if (!row) {
            return row.error();
        }
        current = version_stmt->column_int64(0);
    }
    const auto all = migrations::sqlite_migrations();
    if (current > all.back().version) {
        return StoreError{StoreErrc::Unavailable, "the database schema (version " + std::to_string(current) +
                                                      ") is newer than this server knows"};
    }
    for (const auto& m : all) {
        if (m.version <= current) {
            continue;
        }
        if (current > 0) {
            // An upgrade rewrites what the store already holds, which can take a while on a big one.
            log::info("database: upgrading to schema version " + std::to_string(m.version) + " (" + m.name + ")");
        }
        if (auto r = db.exec("BEGIN IMMEDIATE"); !r) {
            return r;
        }
        auto applied = db.exec(m.sql);
        if (applied) {
            const std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
            applied = db.exec(set_version.c_str());
        }
        if (applied) {
            applied = db.exec("COMMIT");
        }
        if (!applied) {
            if (auto rolled_back = db.exec("ROLLBACK"); !rolled_back) {
                // The store is closed after a failed migration, which undoes the transaction all the same.
                log::warning("database: cannot roll back migration " + std::to_string(m.version) + ": " +
                             rolled_back.error().message);
            }
            return StoreError{applied.error().code, "migration " + std::to_string(m.version) + " (" + m.name +
                                                        "): " + applied.error().message};
        }
    }
    return {};
}

} // namespace

// --- lifecycle ---------------------------------------------------------------------------------------------------

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path)
{
    // SQLite keeps memory statistics behind a global mutex taken on every allocation; we never read them.
    // This must be set before SQLite initialises itself, so it is done once, before the first connection.
    static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)memstatus_off; // refused only once SQLite is initialised: the statistics then cost speed, nothing else
    auto connection = Connection::open(path, true);
    if (!connection) {
        return connection.error();
    }
    Connection& db = **connection;
    if (auto r = db.exec(kPragmasWriter); !r) {
        return r.error();
    }
    {
        auto mode = db.prepare("PRAGMA journal_mode");
        if (!mode) {
            return mode.error();
        }
        auto row = mode->step();
        if (!row || !*row || mode->column_text(0) != "wal") {
            return StoreError{StoreErrc::Unavailable, "cannot switch " + path + " to WAL mode"};
        }
    }
    if (auto r = apply_migrations(db); !r) {
        return r.error();
    }
    auto checkpoint_connection = Connection::open(path, false);
    if (!checkpoint_connection) {
        return checkpoint_connection.error();
    }
    return std::unique_ptr<SqliteStore>(
        new SqliteStore(path, std::move(*connection), std::move(*checkpoint_connection)));
}

namespace {

std::unique_ptr<Connection> checkpointed_by(Checkpointer& checkpointer, std::unique_ptr<Connection> writer)
{
    checkpointer.take_over_checkpoints_of(*writer);
    return writer;
}

} // namespace

SqliteStore::SqliteStore(std::string path, std::unique_ptr<Connection> write_connection,
                         std::unique_ptr<Connection> checkpoint_connection)
    : path_(std::move(path))
    , id_(g_next_store_id.fetch_add(1))
    , checkpointer_(std::move(checkpoint_connection))
    , writer_(checkpointed_by(checkpointer_, std::move(write_connection)),
              BatchHooks{[this] {
                             usn_.begin_batch();
                             counts_.begin_batch();
                         },
                         [this](bool kept) { counts_.end_write(kept); },
                         [this](Connection& db) -> Result<void> {
                             if (auto r = usn_.write_back(db); !r) {
                                 return r;
                             }
                             // Before the commit: see ListCache.
                             list_cache_.touched(counts_.periods(), writer_.commits() + 1);
                             return counts_.write_back(db);
                         }})
{
}

SqliteStore::~SqliteStore()
{
    writer_.stop();
}

ReaderSlot* SqliteStore::reader_slot()
{
    for (auto& slot : t_readers) {
        if (slot.store_id == id_) {
            return &slot;
        }
    }
    return nullptr;
}

Result<Connection*> SqliteStore::reader()
{
    ReaderSlot* slot = reader_slot();
    if (slot == nullptr) {
        auto connection = Connection::open(path_, false);
        if (!connection) {
            return connection.error();
        }
        if (auto r = (*connection)->exec(kPragmasReader); !r) {
            return r.error();
        }
        Connection* raw = connection->get();
        {
            std::lock_guard lock(readers_mutex_);
            readers_.push_back(std::move(*connection));
        }
        slot = &t_readers.emplace_back(ReaderSlot{id_, raw});
    }
    if (slot->in_round) {
        if (auto r = keep_snapshot_current(*slot); !r) {
            return r.error();
        }
    }
    return slot->connection;
}

// A snapshot older than the writer's last commit might miss an acknowledged write: it is ended and the next read
// takes a new one. Cheap while nothing is written: one atomic load per read.
Result<void> SqliteStore::keep_snapshot_current(ReaderSlot& slot)
{
    const auto commits = writer_.commits();
    const bool open = sqlite3_get_autocommit(slot.connection->handle()) == 0;
    if (open && slot.snapshot_commits == commits) {
        return {};
    }
    if (open) {
        if (auto r = slot.connection->run(kEndRead); !r) {
            return r;
        }
    }
    if (auto r = slot.connection->run(kBeginRead); !r) {
        return r;
    }
    slot.snapshot_commits = commits;
    return {};
}

std::uint64_t SqliteStore::snapshot_floor()
{
    const ReaderSlot* slot = reader_slot();
    if (slot != nullptr && slot->in_round && sqlite3_get_autocommit(slot->connection->handle()) == 0) {
        return slot->snapshot_commits;
    }
    return writer_.commits(); // each statement reads a snapshot at least this new
}

Result<std::int64_t> SqliteStore::total_of(Connection& db, const SessionFilter& filter, const ListSource* source,
                                           std::uint64_t floor)
{
    if (auto kept = list_cache_.find_total(filter, floor)) {
        return *kept;
    }
    auto total = count_matching(db, filter, nullptr, source);
    if (total) {
        list_cache_.keep_total(filter, *total, floor);
    }
    return total;
}

void SqliteStore::begin_read_round() noexcept
{
    if (!reader()) {
        return; // reads will report the failure
    }
    reader_slot()->in_round = true;
}

void SqliteStore::end_read_round() noexcept
{
    ReaderSlot* slot = reader_slot();
    if (slot == nullptr || !slot->in_round) {
        return;
    }
    slot->in_round = false;
    if (sqlite3_get_autocommit(slot->connection->handle()) == 0) {
        if (auto ended = slot->connection->run(kEndRead); !ended) {
            // The snapshot stays open until the next round ends it, holding back checkpoints meanwhile.
            log::warning("database: cannot end a read round: " + ended.error().message);
        }
    }
}

// --- sessions ----------------------------------------------------------------------------------------------------

Result<JobSession> SqliteStore::get_session(std::int64_t id)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return select_one(**db, kSelectSession.c_str(), id, "session not found", read_session);
}

Result<std::int64_t> SqliteStore::get_session_creator(std::int64_t id)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return select_one(**db, kSelectSessionCreator, id, "session not found",
                      [](const Statement& row) -> Result<std::int64_t> { return row.column_int64(0); });
}

Result<JobSession> SqliteStore::create_session(const NewSession& session, const IdempotencyWrite* idempotency)
{
    return write<JobSession>([&](Connection& db) -> Result<JobSession> {
        auto created = insert_session(db, usn_, counts_, session);
        if (!created) {
            return created;
        }
        if (auto r = insert_log_entries(db, created->id, 0, session.log); !r) {
            return r.error();
        }
        if (auto r = insert_idempotency(db, idempotency, WriteOutcome{*created}); !r) {
            return r.error();
        }
        return created;
    });
}

Result<void> SqliteStore::import_sessions(const std::vector<NewSession>& sessions)
{
    return write<void>([&](Connection& db) -> Result<void> {
        for (const auto& session : sessions) {
            auto created = insert_session(db, usn_, counts_, session);
            if (!created) {
                return created.error();
            }
            if (auto r = insert_log_entries(db, created->id, 0, session.log); !r) {
                return r.error();
            }
        }
        return {};
    });
}

Result<JobSession> SqliteStore::replace_session(const JobSession& next, std::int64_t expected_usn,
                                                const IdempotencyWrite* idempotency)
{
    return write<JobSession>([&](Connection& db) -> Result<JobSession> {
        auto usn = usn_.next(db);
        if (!usn) {
            return usn.error();
        }
        JobSession stored = next;
        stored.usn = *usn;
        std::optional<CountedAs> was;
        {
            auto current = db.prepare(kSelectCountedAs.c_str());
            if (!current) {
                return current.error();
            }
            current->bind(1, stored.id);
            current->bind(2, expected_usn);
            auto row = current->step();
            if (!row) {
                return row.error();
            }
            if (*row) {
                was = counted_as(*current);
            }
        }
        auto stmt = db.prepare(kUpdateSession);
        if (!stmt) {
            return stmt.error();
        }
        bind_session(*stmt, stored);
        stmt->bind(17, stored.id);
        stmt->bind(18, expected_usn);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            auto probe = db.prepare(kSelectSessionUsnStatus);
            if (!probe) {
                return probe.error();
            }
            probe->bind(1, stored.id);
            auto row = probe->step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return StoreError{StoreErrc::NotFound, "session not found"};
            }
            return StoreError{StoreErrc::Conflict, "session changed meanwhile"};
        }
        if (was) {
            counts_.count(std::move(*was), -1);
            counts_.count(counted_as(stored), 1);
        }
        if (auto r = insert_idempotency(db, idempotency, WriteOutcome{stored}); !r) {
            return r.error();
        }
        return stored;
    });
}

Result<LogAppend> SqliteStore::append_log(std::int64_t session_id, const std::vector<NewLogEntry>& entries,
                                          const IdempotencyWrite* idempotency)
{
    return write<LogAppend>([&](Connection& db) -> Result<LogAppend> {
        LogAppend appended;
        {
            auto stmt = db.prepare(kSelectSession.c_str());
            if (!stmt) {
                return stmt.error();
            }
            stmt->bind(1, session_id);
            auto row = stmt->step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return StoreError{StoreErrc::NotFound, "session not found"};
            }
            auto session = read_session(*stmt);
            if (!session) {
                return session.error();
            }
            appended.session = std::move(*session);
        }
        if (domain::is_final(appended.session.status)) {
            appended.refused_final = true;
            return appended;
        }
        std::int64_t sequence = 0;
        {
            auto stmt = db.prepare(kLastLogSequence);
            if (!stmt) {
                return stmt.error();
            }
            stmt->bind(1, session_id);
            auto row = stmt->step();
            if (!row) {
                return row.error();
            }
            sequence = stmt->column_int64(0); // max() of no rows is NULL, read as 0
        }
        appended.first_sequence = sequence + 1;
        auto last = insert_log_entries(db, session_id, sequence, entries);
        if (!last) {
            return last.error();
        }
        appended.last_sequence = *last;
        if (auto r = insert_idempotency(
                db, idempotency, WriteOutcome{appended.session, appended.first_sequence, appended.last_sequence});
            !r) {
            return r.error();
        }
        return appended;
    });
}

namespace {

/// A cursor with a connection of its own, so that a long export neither holds nor shares a thread's reader.
class SqliteSessionCursor final : public SessionCursor {
public:
    SqliteSessionCursor(std::unique_ptr<Connection> connection, MergedScan scan)
        : connection_(std::move(connection))
        , scan_(std::move(scan))
    {
    }
    ~SqliteSessionCursor() override
    {
        // The statements go before the connection they belong to.
        scan_ = MergedScan{};
    }
    SqliteSessionCursor(const SqliteSessionCursor&) = delete;
    SqliteSessionCursor& operator=(const SqliteSessionCursor&) = delete;

    Result<bool> next(JobSession& out) override { return scan_.next(out); }

private:
    std::unique_ptr<Connection> connection_;
    MergedScan scan_;
};

} // namespace

namespace {

/// The sessions of `ids` that exist, in the order of `ids`.
Result<std::vector<JobSession>> read_sessions_in_order(Connection& db, const std::vector<std::int64_t>& ids)
{
    // Looked up in ascending id order, each lookup starts where the last ended in the table's b-tree.
    std::vector<std::int64_t> ascending = ids;
    std::sort(ascending.begin(), ascending.end());
    std::string array = "[";
    for (const auto id : ascending) {
        if (array.size() > 1) {
            array.push_back(',');
        }
        util::append_int(array, id);
    }
    array.push_back(']');
    auto rows = db.prepare(kSelectSessionsIn.c_str());
    if (!rows) {
        return rows.error();
    }
    rows->bind(1, std::string_view(array));
    auto read = read_rows<JobSession>(*rows, read_session);
    if (!read) {
        return read.error();
    }
    auto& found = *read;
    const auto by_id = [](const JobSession& a, const JobSession& b) { return a.id < b.id; };
    if (!std::is_sorted(found.begin(), found.end(), by_id)) { // the join keeps the array's order; just in case
        std::sort(found.begin(), found.end(), by_id);
    }
    std::vector<JobSession> in_order;
    in_order.reserve(found.size());
    for (const auto id : ids) {
        auto at = std::lower_bound(found.begin(), found.end(), id,
                                   [](const JobSession& s, std::int64_t wanted) { return s.id < wanted; });
        if (at != found.end() && at->id == id) {
            in_order.push_back(std::move(*at));
        }
    }
    return in_order;
}

std::vector<std::int64_t> ids_of(const std::vector<SessionKey>& keys)
{
    std::vector<std::int64_t> ids;
    ids.reserve(keys.size());
    for (const auto& key : keys) {
        ids.push_back(key.id);
    }
    return ids;
}

} // namespace

Result<PageKeys> SqliteStore::list_session_keys(const SessionFilter& filter, std::int64_t offset, std::int64_t limit)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    const auto floor = snapshot_floor();
    if (auto kept = list_cache_.find_page(filter, offset, limit, floor)) {
        return PageKeys{kept->keys, kept->total_count, std::nullopt};
    }
    auto source = list_source(**db, filter);
    if (!source) {
        return source.error();
    }
    auto total = total_of(**db, filter, &*source, floor);
    if (!total) {
        return total.error();
    }
    KeptPage kept;
    kept.total_count = *total;
    if (limit == 0 || offset >= kept.total_count) {
        list_cache_.keep_page(filter, offset, limit, kept, floor);
        return PageKeys{{}, kept.total_count, std::nullopt};
    }
    if (source->few_changed_after_usn) { // an incremental poll: a few thousand rows at most, read and sorted
        auto scan = MergedScan::open(**db, list_queries(filter, offset + limit, *source));
        if (!scan) {
            return scan.error();
        }
        PageKeys page{{}, kept.total_count, std::nullopt};
        JobSession s;
        for (std::int64_t i = 0;; ++i) {
            auto more = scan->next(s);
            if (!more) {
                return more.error();
            }
            if (!*more) {
                break;
            }
            if (i >= offset) {
                page.keys.push_back(SessionKey{s.id, s.usn});
            }
        }
        return page;
    }
    // The page's keys come from the indexes alone (what the kept counts cannot pass over of the offset skipped
    // there).
    auto start = seek_page(**db, filter, offset, &list_cache_, floor);
    if (!start) {
        return start.error();
    }
    SessionFilter from_start = filter;
    from_start.to = start->to;
    const auto key_queries = list_key_queries(from_start, start->offset, limit, *source);
    auto keys = MergedScan::open(**db, key_queries.queries, true);
    if (!keys) {
        return keys.error();
    }
    kept.keys.reserve(static_cast<std::size_t>(limit));
    JobSession key;
    for (std::int64_t i = 0; i < key_queries.skip + limit; ++i) {
        auto more = keys->next(key);
        if (!more) {
            return more.error();
        }
        if (!*more) {
            break;
        }
        if (i >= key_queries.skip) {
            kept.keys.push_back(SessionKey{key.id, key.usn});
        }
    }
    PageKeys page{kept.keys, kept.total_count, std::nullopt};
    list_cache_.keep_page(filter, offset, limit, std::move(kept), floor);
    return page;
}

Result<std::vector<JobSession>> SqliteStore::get_sessions(const std::vector<SessionKey>& keys)
{
    if (keys.empty()) {
        return std::vector<JobSession>{};
    }
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return read_sessions_in_order(**db, ids_of(keys));
}

std::string SqliteStore::list_query_plans(const SessionFilter& filter, bool keys_only)
{
    auto db = reader();
    if (!db) {
        return db.error().message;
    }
    auto source = list_source(**db, filter);
    if (!source) {
        return source.error().message;
    }
    auto scan = keys_only && !source->few_changed_after_usn
                    ? MergedScan::open(**db, list_key_queries(filter, 0, 30, *source).queries, true)
                    : MergedScan::open(**db, list_queries(filter, 30, *source));
    if (!scan) {
        return scan.error().message;
    }
    auto plans = scan->query_plans();
    if (keys_only) {
        auto rows = (*db)->prepare(kSelectSessionsIn.c_str());
        plans += rows ? rows->query_plan() : rows.error().message;
    }
    return plans;
}

std::string SqliteStore::count_query_plans(const SessionFilter& filter)
{
    auto db = reader();
    if (!db) {
        return db.error().message;
    }
    std::string plans;
    if (auto counted = count_matching(**db, filter, &plans); !counted) {
        return counted.error().message;
    }
    return plans;
}

std::string SqliteStore::seek_query_plans(const SessionFilter& filter, std::int64_t offset, std::int64_t& walked)
{
    auto db = reader();
    if (!db) {
        return db.error().message;
    }
    std::string plans;
    auto start = seek_page(**db, filter, offset, nullptr, 0, &plans);
    if (!start) {
        return start.error().message;
    }
    walked = start->offset;
    return plans;
}

Result<std::int64_t> SqliteStore::count_sessions(const SessionFilter& filter)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return total_of(**db, filter, nullptr, snapshot_floor());
}

Result<std::unique_ptr<SessionCursor>> SqliteStore::open_session_cursor(const SessionFilter& filter)
{
    auto connection = Connection::open(path_, false);
    if (!connection) {
        return connection.error();
    }
    if (auto r = (*connection)->exec(kPragmasCursor); !r) {
        return r.error();
    }
    auto source = list_source(**connection, filter);
    if (!source) {
        return source.error();
    }
    auto scan = MergedScan::open(**connection, list_queries(filter, std::nullopt, *source));
    if (!scan) {
        return scan.error();
    }
    return std::unique_ptr<SessionCursor>(new SqliteSessionCursor(std::move(*connection), std::move(*scan)));
}

Result<std::vector<JobSession>> SqliteStore::changed_sessions(std::int64_t after_usn, std::int64_t limit,
                                                              std::optional<std::int64_t> created_by)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(created_by ? kSelectChangedSessionsOfCreator.c_str() : kSelectChangedSessions.c_str());
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, after_usn);
    stmt->bind(2, limit);
    if (created_by) {
        stmt->bind(3, *created_by);
    }
    return read_rows<JobSession>(*stmt, read_session);
}

Result<std::int64_t> SqliteStore::highest_usn()
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectHighestUsn);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return *row ? stmt->column_int64(0) : 0;
}

Result<std::vector<LogEntry>> SqliteStore::get_log(std::int64_t session_id, std::int64_t offset, std::int64_t limit)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectLog);
    if (!stmt) {
        return stmt.error();
    }
    // Sequence numbers are dense from 1, so "skip offset" is "sequence > offset": an index seek, not a scan.
    stmt->bind(1, session_id);
    stmt->bind(2, offset);
    stmt->bind(3, limit);
    // A page of thousands grown by doubling would be moved again and again into memory faulted in afresh.
    constexpr std::int64_t kMostReserved = 10'000;
    const auto expected = static_cast<std::size_t>(std::clamp<std::int64_t>(limit, 0, kMostReserved));
    return read_rows<LogEntry>(
        *stmt,
        [session_id](const Statement& row) -> Result<LogEntry> {
            LogEntry e;
            e.session_id = session_id;
            e.sequence = row.column_int64(0);
            e.log_time = row.column_int64(1);
            const auto status = domain::parse_session_status(row.column_text(2));
            if (!status) {
                return StoreError{StoreErrc::Corrupt,
                                  "a log entry of session " + std::to_string(session_id) + " has an unknown status"};
            }
            e.status = *status;
            e.message = std::string(row.column_text(3));
            e.execution_start_time = row.column_int64(4);
            e.execution_duration = row.column_int64(5);
            return e;
        },
        expected);
}

// --- idempotency -------------------------------------------------------------------------------------------------

Result<std::optional<IdempotencyRecord>> SqliteStore::find_idempotency(std::int64_t user_id, const std::string& key)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectIdempotency);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, user_id);
    stmt->bind(2, std::string_view(key));
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<IdempotencyRecord>{};
    }
    IdempotencyRecord record;
    record.user_id = user_id;
    record.key = key;
    record.request_hash = std::string(stmt->column_blob(0));
    record.status_code = static_cast<int>(stmt->column_int64(1));
    record.location = std::string(stmt->column_text(2));
    record.body = std::string(stmt->column_blob(3));
    record.created_at = stmt->column_int64(4);
    return std::optional<IdempotencyRecord>(std::move(record));
}

// --- users -------------------------------------------------------------------------------------------------------

Result<std::vector<User>> SqliteStore::list_users()
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectUsers);
    if (!stmt) {
        return stmt.error();
    }
    return read_rows<User>(*stmt, read_user);
}

Result<User> SqliteStore::find_user(const std::string& name)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return select_one(**db, kSelectUserByName, std::string_view(name), "user not found", read_user);
}

Result<User> SqliteStore::create_user(const User& user)
{
    return write<User>([&](Connection& db) -> Result<User> {
        auto stmt = db.prepare(kInsertUser);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, std::string_view(user.name));
        stmt->bind(2, domain::to_string(user.role));
        stmt->bind(3, std::string_view(user.password_hash));
        stmt->bind(4, std::int64_t{user.disabled ? 1 : 0});
        stmt->bind(5, user.created_at);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        User created = user;
        created.id = sqlite3_last_insert_rowid(db.handle());
        return created;
    });
}

Result<void> SqliteStore::update_user(const User& user)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kUpdateUser);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, user.id);
        stmt->bind(2, domain::to_string(user.role));
        stmt->bind(3, std::string_view(user.password_hash));
        stmt->bind(4, std::int64_t{user.disabled ? 1 : 0});
        if (auto r = stmt->run(); !r) {
            return r;
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "user not found"};
        }
        return {};
    });
}

Result<void> SqliteStore::remove_user(std::int64_t id)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kDeleteUser);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, id);
        if (auto r = stmt->run(); !r) {
            return r;
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "user not found"};
        }
        return {};
    });
}

// --- tokens ------------------------------------------------------------------------------------------------------

namespace {

Result<void> insert_token(Connection& db, const RefreshTokenRecord& record)
{
    auto stmt = db.prepare(kInsertRefreshToken);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind_blob(1, record.token_hash);
    stmt->bind_blob(2, record.login_id);
    stmt->bind(3, record.user_id);
    stmt->bind(4, record.expires_at);
    stmt->bind(5, record.created_at);
    return stmt->run();
}

} // namespace

Result<void> SqliteStore::insert_refresh_token(const RefreshTokenRecord& record)
{
    return write<void>([&](Connection& db) -> Result<void> {
        // Logins are rare next to reads: a good moment to forget tokens long past use.
        auto sweep = db.prepare(kDeleteExpiredRefreshTokens);
        if (!sweep) {
            return sweep.error();
        }
        sweep->bind(1, record.created_at - kExpiredTokenGrace);
        if (auto r = sweep->run(); !r) {
            return r;
        }
        return insert_token(db, record);
    });
}

Result<Rotation> SqliteStore::rotate_refresh_token(const std::string& token_hash, util::Micros now,
                                                   RefreshTokenRecord next)
{
    return write<Rotation>([&](Connection& db) -> Result<Rotation> {
        Rotation rotation;
        bool used = false;
        bool revoked = false;
        util::Micros expires_at = 0;
        {
            auto stmt = db.prepare(kSelectRefreshToken);
            if (!stmt) {
                return stmt.error();
            }
            stmt->bind_blob(1, token_hash);
            auto row = stmt->step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return rotation; // Invalid
            }
            rotation.login_id = std::string(stmt->column_blob(0));
            rotation.user_id = stmt->column_int64(1);
            expires_at = stmt->column_int64(2);
            used = stmt->column_int64(3) != 0;
            revoked = stmt->column_int64(4) != 0;
        }
        if (used) {
            auto stmt = db.prepare(kRevokeLogin);
            if (!stmt) {
                return stmt.error();
            }
            stmt->bind_blob(1, rotation.login_id);
            if (auto r = stmt->run(); !r) {
                return r.error();
            }
            rotation.outcome = RotationOutcome::Reused;
            return rotation;
        }
        if (revoked || expires_at <= now) {
            return rotation; // Invalid
        }
        auto spend = db.prepare(kSpendRefreshToken);
        if (!spend) {
            return spend.error();
        }
        spend->bind_blob(1, token_hash);
        if (auto r = spend->run(); !r) {
            return r.error();
        }
        next.login_id = rotation.login_id;
        next.user_id = rotation.user_id;
        if (auto r = insert_token(db, next); !r) {
            return r.error();
        }
        rotation.outcome = RotationOutcome::Rotated;
        return rotation;
    });
}

Result<void> SqliteStore::revoke_login(const std::string& login_id)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kRevokeLogin);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind_blob(1, login_id);
        return stmt->run();
    });
}

Result<void> SqliteStore::revoke_user_logins(std::int64_t user_id)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kRevokeUserLogins);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, user_id);
        return stmt->run();
    });
}

// --- settings ----------------------------------------------------------------------------------------------------

Result<std::string> SqliteStore::get_or_create_secret(const std::string& name, const std::function<std::string()>& make)
{
    return write<std::string>([&](Connection& db) -> Result<std::string> {
        auto insert = db.prepare(kInsertSettingIfAbsent);
        if (!insert) {
            return insert.error();
        }
        insert->bind(1, std::string_view(name));
        insert->bind_blob(2, make());
        if (auto r = insert->run(); !r) {
            return r.error();
        }
        auto select = db.prepare(kSelectSetting);
        if (!select) {
            return select.error();
        }
        select->bind(1, std::string_view(name));
        auto row = select->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return StoreError{StoreErrc::Unavailable, "setting vanished"};
        }
        return std::string(select->column_blob(0));
    });
}

Result<BackupSummary> SqliteStore::back_up_to(const std::string& file)
{
    // A connection of its own: the copy is one long read, which must hold up neither readers nor the writer.
    return back_up(path_, file);
}

void SqliteStore::observe_writes(WriteObserver* observer) noexcept
{
    writer_.observe(observer);
}

Result<StorageSize> SqliteStore::storage_size()
{
    std::error_code ec;
    const auto database = std::filesystem::file_size(path_, ec);
    if (ec) {
        return StoreError{StoreErrc::Unavailable, "cannot read the size of " + path_ + ": " + ec.message()};
    }
    const auto log = std::filesystem::file_size(path_ + "-wal", ec);
    return StorageSize{static_cast<std::int64_t>(database), ec ? 0 : static_cast<std::int64_t>(log)};
}

Result<std::int64_t> SqliteStore::delete_expired_records(util::Micros now, util::Micros idempotency_before)
{
    return write<std::int64_t>([&](Connection& db) -> Result<std::int64_t> {
        std::int64_t removed = 0;
        auto tokens = db.prepare(kDeleteExpiredRefreshTokens);
        if (!tokens) {
            return tokens.error();
        }
        tokens->bind(1, now - kExpiredTokenGrace);
        if (auto r = tokens->run(); !r) {
            return r.error();
        }
        removed += sqlite3_changes(db.handle());
        auto keys = db.prepare(kDeleteOldIdempotency);
        if (!keys) {
            return keys.error();
        }
        keys->bind(1, idempotency_before);
        if (auto r = keys->run(); !r) {
            return r.error();
        }
        removed += sqlite3_changes(db.handle());
        for (const auto& [sql, before] : {std::pair{kDeleteOldLoginFailures, now - kLoginFailureLifetime},
                                          std::pair{kDeleteOldLoginAddresses, now - kLoginAddressLifetime}}) {
            auto old = db.prepare(sql);
            if (!old) {
                return old.error();
            }
            old->bind(1, before);
            if (auto r = old->run(); !r) {
                return r.error();
            }
            removed += sqlite3_changes(db.handle());
        }
        return removed;
    });
}

} // namespace jobsessions::store::sqlite

namespace jobsessions::store {

Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options)
{
    auto store = sqlite::SqliteStore::open(options.path);
    if (!store) {
        return store.error();
    }
    return std::unique_ptr<Store>(std::move(*store));
}

} // namespace jobsessions::store
