// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/migrations/sqlite_migrations.hpp"

#include <array>

namespace jobsessions::store::migrations {
namespace {

// Times are microseconds since the Unix epoch (UTC). Types and statuses are stored by their wire names so the
// file stays readable and independent of enum order. A NULL first column of an info group means "absent".
constexpr const char* kV001Init = R"sql(
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('usn', 0);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    login_id   BLOB NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    revoked    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_login ON refresh_tokens (login_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE sessions (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    type                      TEXT NOT NULL,
    status                    TEXT NOT NULL,
    start_time                INTEGER NOT NULL,
    stop_time                 INTEGER,
    usn                       INTEGER NOT NULL UNIQUE,
    created_by                INTEGER NOT NULL,
    policy_id                 TEXT,
    policy_name               TEXT,
    protected_instances_count INTEGER,
    policy_removed            INTEGER,
    restore_reason            TEXT,
    restore_policy_name       TEXT,
    repository_id             TEXT,
    repository_name           TEXT,
    repository_removed        INTEGER,
    retention_deleted_count   INTEGER
);
CREATE INDEX sessions_by_start ON sessions (start_time DESC, id DESC);

CREATE TABLE log_entries (
    session_id         INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    log_time           INTEGER NOT NULL,
    status             TEXT NOT NULL,
    message            TEXT NOT NULL,
    execution_start    INTEGER NOT NULL,
    execution_duration INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status_code  INTEGER NOT NULL,
    location     TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
)sql";

constexpr std::array<Migration, 1> kMigrations{{
    {1, "init", kV001Init},
}};

} // namespace

std::span<const Migration> sqlite_migrations() noexcept
{
    return kMigrations;
}

} // namespace jobsessions::store::migrations
