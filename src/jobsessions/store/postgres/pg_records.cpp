// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's users, tokens, secrets, login counts, policies, runs and expiring records.
#include "jobsessions/store/policy_columns.hpp"
#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/postgres/schema.hpp"

namespace jobsessions::store::postgres {

using domain::Policy;
using domain::User;

namespace {

constexpr const char* kSelectUsers =
    "SELECT id, name, role, password_hash, disabled, created_at FROM users ORDER BY id";
constexpr const char* kSelectUserByName =
    "SELECT id, name, role, password_hash, disabled, created_at FROM users WHERE lower(name) = lower($1)";
constexpr const char* kInsertUser = "INSERT INTO users (name, role, password_hash, disabled, created_at)"
                                    " VALUES ($1, $2, $3, $4, $5) RETURNING id";
constexpr const char* kUpdateUser = "UPDATE users SET role = $2, password_hash = $3, disabled = $4 WHERE id = $1";
constexpr const char* kDeleteUser = "DELETE FROM users WHERE id = $1";
constexpr const char* kInsertToken =
    "INSERT INTO refresh_tokens (token_hash, login_id, user_id, expires_at, created_at)"
    " VALUES (decode($1, 'hex'), decode($2, 'hex'), $3, $4, $5)";
constexpr const char* kDeleteExpiredTokens = "DELETE FROM refresh_tokens WHERE expires_at < $1";
constexpr const char* kSelectTokenForUpdate =
    "SELECT encode(login_id, 'hex'), user_id, expires_at, used, revoked FROM refresh_tokens"
    " WHERE token_hash = decode($1, 'hex') FOR UPDATE";
constexpr const char* kSpendToken = "UPDATE refresh_tokens SET used = true WHERE token_hash = decode($1, 'hex')";
constexpr const char* kRevokeLogin = "UPDATE refresh_tokens SET revoked = true WHERE login_id = decode($1, 'hex')";
constexpr const char* kRevokeUserLogins = "UPDATE refresh_tokens SET revoked = true WHERE user_id = $1";
constexpr const char* kInsertSettingIfAbsent =
    "INSERT INTO settings (name, value) VALUES ($1, decode($2, 'hex')) ON CONFLICT (name) DO NOTHING";
constexpr const char* kSelectDatabaseSize = "SELECT pg_database_size(current_database())";
constexpr const char* kSelectSetting = "SELECT encode(value, 'hex') FROM settings WHERE name = $1";
constexpr const char* kSelectFailures = "SELECT failures, last_failure FROM login_failures WHERE key = $1";
constexpr const char* kAddFailure =
    "INSERT INTO login_failures AS f (key, failures, last_failure) VALUES ($1, 1, $2)"
    " ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN f.last_failure < $3 THEN 1 ELSE f.failures + 1 END,"
    " last_failure = $2 RETURNING failures, last_failure";
constexpr const char* kDeleteFailures = "DELETE FROM login_failures WHERE key = $1";
constexpr const char* kUpsertSuccess = "INSERT INTO login_addresses (key, last_success) VALUES ($1, $2)"
                                       " ON CONFLICT (key) DO UPDATE SET last_success = $2";
constexpr const char* kSelectSuccess = "SELECT last_success FROM login_addresses WHERE key = $1";
constexpr const char* kDeleteOldIdempotency = "DELETE FROM idempotency_keys WHERE created_at < $1";
constexpr const char* kDeleteOldFailures = "DELETE FROM login_failures WHERE last_failure < $1";
constexpr const char* kDeleteOldAddresses = "DELETE FROM login_addresses WHERE last_success < $1";

#define JOBSESSIONS_PG_POLICY_COLUMNS                                                                                  \
    "id, name, description, session_type, command, working_directory, environment, schedule, enabled,"                 \
    " timeout_seconds, stop_grace_seconds, warning_exit_codes, retention_days, max_concurrent_runs, catch_up, usn,"    \
    " created_at"

constexpr const char* kSelectPolicies = "SELECT " JOBSESSIONS_PG_POLICY_COLUMNS " FROM policies ORDER BY lower(name)";
constexpr const char* kSelectPolicy = "SELECT " JOBSESSIONS_PG_POLICY_COLUMNS " FROM policies WHERE id = $1";
constexpr const char* kInsertPolicy =
    "INSERT INTO policies (" JOBSESSIONS_PG_POLICY_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
constexpr const char* kUpdatePolicy =
    "UPDATE policies SET name = $2, description = $3, session_type = $4, command = $5, working_directory = $6,"
    " environment = $7, schedule = $8, enabled = $9, timeout_seconds = $10, stop_grace_seconds = $11,"
    " warning_exit_codes = $12, retention_days = $13, max_concurrent_runs = $14, catch_up = $15, usn = $16"
    " WHERE id = $1 RETURNING created_at";
constexpr const char* kDeletePolicy = "DELETE FROM policies WHERE id = $1";
constexpr const char* kSelectPolicySessions =
    "SELECT id FROM sessions WHERE policy_id = $1 AND policy_removed IS NOT TRUE ORDER BY id FOR UPDATE";
constexpr const char* kMarkPolicyRemoved = "UPDATE sessions SET policy_removed = true, usn = $2 WHERE id = $1";
constexpr const char* kSelectLastTick = "SELECT last_tick FROM policies WHERE id = $1";
constexpr const char* kUpdateLastTick = "UPDATE policies SET last_tick = $2 WHERE id = $1";
constexpr const char* kAdvanceLastTick =
    "UPDATE policies SET last_tick = $2 WHERE id = $1 AND last_tick IS NOT DISTINCT FROM $3";
constexpr const char* kPolicyExists = "SELECT 1 FROM policies WHERE id = $1";
constexpr const char* kInsertRun = "INSERT INTO policy_runs (session_id, policy_id, pid, process_start, node)"
                                   " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO UPDATE SET"
                                   " policy_id = $2, pid = $3, process_start = $4, node = $5";
// Claims of one policy from any node wait here for each other, so each counts the runs the last one recorded.
constexpr const char* kLockPolicyRuns = "SELECT 1 FROM policies WHERE id = $1 FOR NO KEY UPDATE";
constexpr const char* kClaimRun = "INSERT INTO policy_runs (session_id, policy_id, pid, process_start, node)"
                                  " SELECT $1, $2, $3, $4, $5"
                                  " WHERE (SELECT count(*) FROM policy_runs WHERE policy_id = $2) < $6";
constexpr const char* kDeleteRun = "DELETE FROM policy_runs WHERE session_id = $1";
constexpr const char* kSelectRuns =
    "SELECT session_id, policy_id, pid, process_start, node FROM policy_runs ORDER BY session_id";

/// Refresh tokens expired for longer than this are forgotten (until then a reuse is still recognised).
constexpr util::Micros kExpiredTokenGrace = 7LL * 24 * 3600 * util::kMicrosPerSecond;
constexpr util::Micros kLoginFailureLifetime = util::kMicrosPerDay;
constexpr util::Micros kLoginAddressLifetime = 366 * util::kMicrosPerDay;

Result<User> read_user(const Rows& rows, int r)
{
    User u;
    u.id = rows.int64(r, 0);
    u.name = std::string(rows.text(r, 1));
    const auto role = domain::parse_role(rows.text(r, 2));
    if (!role) {
        return StoreError{StoreErrc::Corrupt, "user " + u.name + " has an unknown role"};
    }
    u.role = *role;
    u.password_hash = std::string(rows.text(r, 3));
    u.disabled = rows.boolean(r, 4);
    u.created_at = rows.int64(r, 5);
    return u;
}

std::vector<Param> policy_params(const Policy& p)
{
    return {param(p.id),
            param(p.name),
            param(p.description),
            param(domain::to_string(p.session_type)),
            param(encode_words(p.command)),
            param(p.working_directory),
            param(encode_environment(p.environment)),
            param(p.schedule),
            flag(p.enabled),
            param_or_null(p.timeout_seconds),
            param(p.stop_grace_seconds),
            param(encode_exit_codes(p.warning_exit_codes)),
            param_or_null(p.retention_days),
            param(p.max_concurrent_runs),
            flag(p.catch_up),
            param(p.usn),
            param(p.created_at)};
}

Result<Policy> read_policy(const Rows& rows, int r)
{
    Policy p;
    p.id = std::string(rows.text(r, 0));
    const auto corrupt = [&] { return StoreError{StoreErrc::Corrupt, "policy " + p.id + " cannot be read"}; };
    p.name = std::string(rows.text(r, 1));
    p.description = std::string(rows.text(r, 2));
    const auto type = domain::parse_session_type(rows.text(r, 3));
    auto command = decode_words(rows.text(r, 4));
    auto environment = decode_environment(rows.text(r, 6));
    auto codes = decode_exit_codes(rows.text(r, 11));
    if (!type || !command || !environment || !codes) {
        return corrupt();
    }
    p.session_type = *type;
    p.command = std::move(*command);
    p.working_directory = std::string(rows.text(r, 5));
    p.environment = std::move(*environment);
    p.schedule = std::string(rows.text(r, 7));
    p.enabled = rows.boolean(r, 8);
    p.timeout_seconds = rows.optional_int64(r, 9);
    p.stop_grace_seconds = rows.int64(r, 10);
    p.warning_exit_codes = std::move(*codes);
    p.retention_days = rows.optional_int64(r, 12);
    p.max_concurrent_runs = rows.int64(r, 13);
    p.catch_up = rows.boolean(r, 14);
    p.usn = rows.int64(r, 15);
    p.created_at = rows.int64(r, 16);
    return p;
}

} // namespace

Result<std::vector<User>> PgStore::list_users()
{
    auto rows = prepared(kSelectUsers);
    if (!rows) {
        return rows.error();
    }
    std::vector<User> users;
    for (int r = 0; r < rows->count(); ++r) {
        auto u = read_user(*rows, r);
        if (!u) {
            return u.error();
        }
        users.push_back(std::move(*u));
    }
    return users;
}

Result<User> PgStore::find_user(const std::string& name)
{
    auto rows = prepared(kSelectUserByName, {param(name)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::NotFound, "user not found"};
    }
    return read_user(*rows, 0);
}

Result<User> PgStore::create_user(const User& user)
{
    auto rows = prepared(kInsertUser, {param(user.name), param(domain::to_string(user.role)), param(user.password_hash),
                                       flag(user.disabled), param(user.created_at)});
    if (!rows) {
        return rows.error();
    }
    User created = user;
    created.id = rows->int64(0, 0);
    return created;
}

Result<void> PgStore::update_user(const User& user)
{
    auto rows = prepared(kUpdateUser, {param(user.id), param(domain::to_string(user.role)), param(user.password_hash),
                                       flag(user.disabled)});
    if (!rows) {
        return rows.error();
    }
    if (rows->affected() == 0) {
        return StoreError{StoreErrc::NotFound, "user not found"};
    }
    return {};
}

Result<void> PgStore::remove_user(std::int64_t id)
{
    auto rows = prepared(kDeleteUser, {param(id)}); // its refresh tokens go with it (ON DELETE CASCADE)
    if (!rows) {
        return rows.error();
    }
    if (rows->affected() == 0) {
        return StoreError{StoreErrc::NotFound, "user not found"};
    }
    return {};
}

Result<void> PgStore::insert_refresh_token(const RefreshTokenRecord& record)
{
    return pool_.transaction([&](Connection& db) -> Result<void> {
        // Logins are rare next to reads: a good moment to forget tokens long past use.
        if (auto swept = db.exec_prepared(kDeleteExpiredTokens, {param(record.created_at - kExpiredTokenGrace)});
            !swept) {
            return swept.error();
        }
        if (auto inserted = db.exec_prepared(kInsertToken,
                                             {hex_of(record.token_hash), hex_of(record.login_id), param(record.user_id),
                                              param(record.expires_at), param(record.created_at)});
            !inserted) {
            return inserted.error();
        }
        return {};
    });
}

Result<Rotation> PgStore::rotate_refresh_token(const std::string& token_hash, util::Micros now, RefreshTokenRecord next)
{
    // The row lock makes a token single-use across every server on the database.
    return pool_.transaction([&](Connection& db) -> Result<Rotation> {
        Rotation rotation;
        auto rows = db.exec_prepared(kSelectTokenForUpdate, {hex_of(token_hash)});
        if (!rows) {
            return rows.error();
        }
        if (rows->count() == 0) {
            return rotation; // Invalid
        }
        rotation.login_id = bytes_of(rows->text(0, 0));
        rotation.user_id = rows->int64(0, 1);
        const auto expires_at = rows->int64(0, 2);
        if (rows->boolean(0, 3)) {
            if (auto revoked = db.exec_prepared(kRevokeLogin, {hex_of(rotation.login_id)}); !revoked) {
                return revoked.error();
            }
            rotation.outcome = RotationOutcome::Reused;
            return rotation;
        }
        if (rows->boolean(0, 4) || expires_at <= now) {
            return rotation; // Invalid
        }
        if (auto spent = db.exec_prepared(kSpendToken, {hex_of(token_hash)}); !spent) {
            return spent.error();
        }
        next.login_id = rotation.login_id;
        next.user_id = rotation.user_id;
        if (auto inserted =
                db.exec_prepared(kInsertToken, {hex_of(next.token_hash), hex_of(next.login_id), param(next.user_id),
                                                param(next.expires_at), param(next.created_at)});
            !inserted) {
            return inserted.error();
        }
        rotation.outcome = RotationOutcome::Rotated;
        return rotation;
    });
}

Result<void> PgStore::revoke_login(const std::string& login_id)
{
    if (auto rows = prepared(kRevokeLogin, {hex_of(login_id)}); !rows) {
        return rows.error();
    }
    return {};
}

Result<void> PgStore::revoke_user_logins(std::int64_t user_id)
{
    if (auto rows = prepared(kRevokeUserLogins, {param(user_id)}); !rows) {
        return rows.error();
    }
    return {};
}

Result<std::string> PgStore::get_or_create_secret(const std::string& name, const std::function<std::string()>& make)
{
    // Whichever server inserts first wins; every server then reads the same secret.
    if (auto inserted = prepared(kInsertSettingIfAbsent, {param(name), hex_of(make())}); !inserted) {
        return inserted.error();
    }
    auto rows = prepared(kSelectSetting, {param(name)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::Unavailable, "setting vanished"};
    }
    return bytes_of(rows->text(0, 0));
}

Result<std::vector<LoginFailures>> PgStore::login_failures(const std::vector<std::string>& keys)
{
    std::vector<LoginFailures> counts;
    for (const auto& key : keys) {
        auto rows = prepared(kSelectFailures, {param(key)});
        if (!rows) {
            return rows.error();
        }
        counts.push_back(rows->count() == 0 ? LoginFailures{} : LoginFailures{rows->int64(0, 0), rows->int64(0, 1)});
    }
    return counts;
}

Result<std::vector<LoginFailures>> PgStore::add_login_failure(const std::vector<std::string>& keys, util::Micros now,
                                                              util::Micros forget_before)
{
    return pool_.transaction([&](Connection& db) -> Result<std::vector<LoginFailures>> {
        std::vector<LoginFailures> counts;
        for (const auto& key : keys) {
            auto rows = db.exec_prepared(kAddFailure, {param(key), param(now), param(forget_before)});
            if (!rows) {
                return rows.error();
            }
            counts.push_back(LoginFailures{rows->int64(0, 0), rows->int64(0, 1)});
        }
        return counts;
    });
}

Result<void> PgStore::record_login_success(const std::string& failures_key, const std::string& address_key,
                                           util::Micros now)
{
    return pool_.transaction([&](Connection& db) -> Result<void> {
        if (auto forgot = db.exec_prepared(kDeleteFailures, {param(failures_key)}); !forgot) {
            return forgot.error();
        }
        if (auto known = db.exec_prepared(kUpsertSuccess, {param(address_key), param(now)}); !known) {
            return known.error();
        }
        return {};
    });
}

Result<std::optional<util::Micros>> PgStore::last_login_success(const std::string& address_key)
{
    auto rows = prepared(kSelectSuccess, {param(address_key)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return std::optional<util::Micros>{};
    }
    return std::optional<util::Micros>(rows->int64(0, 0));
}

Result<std::vector<Policy>> PgStore::list_policies()
{
    auto rows = prepared(kSelectPolicies);
    if (!rows) {
        return rows.error();
    }
    std::vector<Policy> policies;
    for (int r = 0; r < rows->count(); ++r) {
        auto p = read_policy(*rows, r);
        if (!p) {
            return p.error();
        }
        policies.push_back(std::move(*p));
    }
    return policies;
}

Result<Policy> PgStore::get_policy(const std::string& id)
{
    auto rows = prepared(kSelectPolicy, {param(id)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::NotFound, "policy not found"};
    }
    return read_policy(*rows, 0);
}

Result<Policy> PgStore::create_policy(const Policy& policy)
{
    return writer_.write<Policy>([&](Connection& db) -> Result<Policy> {
        Policy created = policy;
        auto usn = next_usn(db);
        if (!usn) {
            return usn.error();
        }
        created.usn = *usn;
        if (auto inserted = db.exec_prepared(kInsertPolicy, policy_params(created)); !inserted) {
            return inserted.error();
        }
        announce(db, kAnnouncePolicies);
        return created;
    });
}

Result<Policy> PgStore::update_policy(const Policy& policy)
{
    return writer_.write<Policy>([&](Connection& db) -> Result<Policy> {
        Policy updated = policy;
        auto usn = next_usn(db);
        if (!usn) {
            return usn.error();
        }
        updated.usn = *usn;
        auto params = policy_params(updated);
        params.pop_back(); // created_at is kept
        auto rows = db.exec_prepared(kUpdatePolicy, params);
        if (!rows) {
            return rows.error();
        }
        if (rows->count() == 0) {
            return StoreError{StoreErrc::NotFound, "policy not found"};
        }
        updated.created_at = rows->int64(0, 0);
        announce(db, kAnnouncePolicies);
        return updated;
    });
}

Result<std::vector<std::int64_t>> PgStore::delete_policy(const std::string& id)
{
    return writer_.write<std::vector<std::int64_t>>([&](Connection& db) -> Result<std::vector<std::int64_t>> {
        auto deleted = db.exec_prepared(kDeletePolicy, {param(id)});
        if (!deleted) {
            return deleted.error();
        }
        if (deleted->affected() == 0) {
            return StoreError{StoreErrc::NotFound, "policy not found"};
        }
        auto sessions = db.exec_prepared(kSelectPolicySessions, {param(id)});
        if (!sessions) {
            return sessions.error();
        }
        std::vector<std::int64_t> marked;
        for (int r = 0; r < sessions->count(); ++r) {
            const auto session_id = sessions->int64(r, 0);
            auto usn = next_usn(db);
            if (!usn) {
                return usn.error();
            }
            if (auto m = db.exec_prepared(kMarkPolicyRemoved, {param(session_id), param(*usn)}); !m) {
                return m.error();
            }
            marked.push_back(session_id);
        }
        for (const char* payload : {kAnnouncePolicies, kAnnounceAllSessions}) {
            announce(db, payload);
        }
        return marked;
    });
}

Result<std::optional<util::Micros>> PgStore::policy_last_tick(const std::string& id)
{
    auto rows = prepared(kSelectLastTick, {param(id)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::NotFound, "policy not found"};
    }
    return rows->optional_int64(0, 0);
}

Result<void> PgStore::set_policy_last_tick(const std::string& id, util::Micros tick)
{
    if (auto rows = prepared(kUpdateLastTick, {param(id), param(tick)}); !rows) {
        return rows.error();
    }
    return {};
}

Result<bool> PgStore::advance_policy_tick(const std::string& id, std::optional<util::Micros> expected,
                                          util::Micros tick)
{
    // Two schedulers advancing from the same tick: the second waits for the first's row lock, then finds the tick
    // moved and updates nothing.
    auto moved = prepared(kAdvanceLastTick, {param(id), param(tick), param_or_null(expected)});
    if (!moved) {
        return moved.error();
    }
    if (moved->affected() == 1) {
        return true;
    }
    auto exists = prepared(kPolicyExists, {param(id)});
    if (!exists) {
        return exists.error();
    }
    if (exists->count() == 0) {
        return StoreError{StoreErrc::NotFound, "policy not found"};
    }
    return false;
}

Result<bool> PgStore::claim_policy_run(const PolicyRun& run, std::int64_t max_runs)
{
    // Two statements, not one: a statement counts in the snapshot it began with, from before the lock was granted.
    return pool_.transaction([&](Connection& db) -> Result<bool> {
        if (auto locked = db.exec_prepared(kLockPolicyRuns, {param(run.policy_id)}); !locked) {
            return locked.error();
        }
        auto inserted = db.exec_prepared(kClaimRun, {param(run.session_id), param(run.policy_id), param(run.pid),
                                                     param(run.process_start), param(run.node), param(max_runs)});
        if (!inserted) {
            return inserted.error();
        }
        return inserted->affected() == 1;
    });
}

Result<void> PgStore::insert_policy_run(const PolicyRun& run)
{
    if (auto rows = prepared(kInsertRun, {param(run.session_id), param(run.policy_id), param(run.pid),
                                          param(run.process_start), param(run.node)});
        !rows) {
        return rows.error();
    }
    return {};
}

Result<void> PgStore::remove_policy_run(std::int64_t session_id)
{
    if (auto rows = prepared(kDeleteRun, {param(session_id)}); !rows) {
        return rows.error();
    }
    return {};
}

Result<std::vector<PolicyRun>> PgStore::list_policy_runs()
{
    auto rows = prepared(kSelectRuns);
    if (!rows) {
        return rows.error();
    }
    std::vector<PolicyRun> runs;
    runs.reserve(static_cast<std::size_t>(rows->count()));
    for (int r = 0; r < rows->count(); ++r) {
        runs.push_back(PolicyRun{rows->int64(r, 0), std::string(rows->text(r, 1)), rows->int64(r, 2), rows->int64(r, 3),
                                 std::string(rows->text(r, 4))});
    }
    return runs;
}

Result<std::int64_t> PgStore::delete_expired_records(util::Micros now, util::Micros idempotency_before)
{
    return pool_.transaction([&](Connection& db) -> Result<std::int64_t> {
        std::int64_t removed = 0;
        for (const auto& [sql, before] : {std::pair{kDeleteExpiredTokens, now - kExpiredTokenGrace},
                                          std::pair{kDeleteOldIdempotency, idempotency_before},
                                          std::pair{kDeleteOldFailures, now - kLoginFailureLifetime},
                                          std::pair{kDeleteOldAddresses, now - kLoginAddressLifetime}}) {
            auto rows = db.exec(sql, {param(before)});
            if (!rows) {
                return rows.error();
            }
            removed += rows->affected();
        }
        return removed;
    });
}

Result<BackupSummary> PgStore::back_up_to(const std::string& /*file*/)
{
    return StoreError{StoreErrc::Unavailable,
                      "a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump, pg_basebackup)"};
}

void PgStore::observe_writes(WriteObserver* observer) noexcept
{
    writer_.observe(observer);
}

Result<StorageSize> PgStore::storage_size()
{
    auto rows = prepared(kSelectDatabaseSize);
    if (!rows) {
        return rows.error();
    }
    // PostgreSQL's write-ahead log is the cluster's, shared by its databases: not this store's to count.
    return StorageSize{rows->int64(0, 0), std::nullopt};
}

} // namespace jobsessions::store::postgres
