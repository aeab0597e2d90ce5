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

// The list indexes: each serves one kind of filter in the list's order (newest start first, then highest id), so
// no list walks the table or sorts. Four aggregate tables keep how many sessions there are per type, status and
// creator — overall, per day, per policy, and per policy and day — maintained in the same transaction as every
// write (by triggers until version 4), so that a list's totalCount adds up a few rows instead of counting
// sessions. Policy tables hold only sessions with a policy.
constexpr const char* kV002ListIndexesAndCounts = R"sql(
CREATE INDEX sessions_by_type ON sessions (type, start_time DESC, id DESC);
CREATE INDEX sessions_by_status ON sessions (status, start_time DESC, id DESC);
CREATE INDEX sessions_by_type_status ON sessions (type, status, start_time DESC, id DESC);
CREATE INDEX sessions_by_policy ON sessions (policy_id, start_time DESC, id DESC);
CREATE INDEX sessions_by_creator ON sessions (created_by, start_time DESC, id DESC);

CREATE TABLE session_totals (
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_totals (type, status, created_by, n)
SELECT type, status, created_by, count(*) FROM sessions GROUP BY 1, 2, 3;

CREATE TABLE session_day_counts (
    day INTEGER NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_day_counts (day, type, status, created_by, n)
SELECT start_time / 86400000000 - (start_time < 0 AND start_time % 86400000000 != 0), type, status, created_by, count(*) FROM sessions GROUP BY 1, 2, 3, 4;

CREATE TABLE session_policy_totals (
    policy_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (policy_id, policy_name, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_policy_totals (policy_id, policy_name, type, status, created_by, n)
SELECT policy_id, policy_name, type, status, created_by, count(*) FROM sessions WHERE policy_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5;

CREATE TABLE session_policy_day_counts (
    day INTEGER NOT NULL,
    policy_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, policy_id, policy_name, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_policy_day_counts (day, policy_id, policy_name, type, status, created_by, n)
SELECT start_time / 86400000000 - (start_time < 0 AND start_time % 86400000000 != 0), policy_id, policy_name, type, status, created_by, count(*) FROM sessions WHERE policy_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER sessions_counted_on_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO session_totals (type, status, created_by, n) VALUES (NEW.type, NEW.status, NEW.created_by, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO session_day_counts (day, type, status, created_by, n) VALUES (NEW.start_time / 86400000000 - (NEW.start_time < 0 AND NEW.start_time % 86400000000 != 0), NEW.type, NEW.status, NEW.created_by, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO session_policy_totals (policy_id, policy_name, type, status, created_by, n) SELECT NEW.policy_id, NEW.policy_name, NEW.type, NEW.status, NEW.created_by, 1 WHERE NEW.policy_id IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO session_policy_day_counts (day, policy_id, policy_name, type, status, created_by, n) SELECT NEW.start_time / 86400000000 - (NEW.start_time < 0 AND NEW.start_time % 86400000000 != 0), NEW.policy_id, NEW.policy_name, NEW.type, NEW.status, NEW.created_by, 1 WHERE NEW.policy_id IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER sessions_counted_on_delete AFTER DELETE ON sessions BEGIN
    UPDATE session_totals SET n = n - 1 WHERE type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_totals WHERE type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    UPDATE session_day_counts SET n = n - 1 WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_day_counts WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    UPDATE session_policy_totals SET n = n - 1 WHERE policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_policy_totals WHERE policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    UPDATE session_policy_day_counts SET n = n - 1 WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_policy_day_counts WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
END;

CREATE TRIGGER sessions_counted_on_update
AFTER UPDATE OF start_time, type, status, policy_id, policy_name, created_by ON sessions
WHEN OLD.start_time IS NOT NEW.start_time OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status
  OR OLD.policy_id IS NOT NEW.policy_id OR OLD.policy_name IS NOT NEW.policy_name
  OR OLD.created_by IS NOT NEW.created_by
BEGIN
    UPDATE session_totals SET n = n - 1 WHERE type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_totals WHERE type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    UPDATE session_day_counts SET n = n - 1 WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_day_counts WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    UPDATE session_policy_totals SET n = n - 1 WHERE policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_policy_totals WHERE policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    UPDATE session_policy_day_counts SET n = n - 1 WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by;
    DELETE FROM session_policy_day_counts WHERE day = OLD.start_time / 86400000000 - (OLD.start_time < 0 AND OLD.start_time % 86400000000 != 0) AND policy_id = OLD.policy_id AND policy_name = OLD.policy_name AND type = OLD.type AND status = OLD.status AND created_by = OLD.created_by AND n <= 0;
    INSERT INTO session_totals (type, status, created_by, n) VALUES (NEW.type, NEW.status, NEW.created_by, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO session_day_counts (day, type, status, created_by, n) VALUES (NEW.start_time / 86400000000 - (NEW.start_time < 0 AND NEW.start_time % 86400000000 != 0), NEW.type, NEW.status, NEW.created_by, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO session_policy_totals (policy_id, policy_name, type, status, created_by, n) SELECT NEW.policy_id, NEW.policy_name, NEW.type, NEW.status, NEW.created_by, 1 WHERE NEW.policy_id IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO session_policy_day_counts (day, policy_id, policy_name, type, status, created_by, n) SELECT NEW.start_time / 86400000000 - (NEW.start_time < 0 AND NEW.start_time % 86400000000 != 0), NEW.policy_id, NEW.policy_name, NEW.type, NEW.status, NEW.created_by, 1 WHERE NEW.policy_id IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
)sql";

// Policies: jobs the server runs itself. Lists (command, warning codes) and the environment are JSON text.
// `last_tick` is the last scheduled time the scheduler handled (ran, skipped or recorded as missed), so that a
// restart knows whether a tick was missed. `policy_runs` holds the runs whose child process is alive: a server
// that starts and finds rows here stopped during those runs.
constexpr const char* kV003Policies = R"sql(
CREATE TABLE policies (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description         TEXT NOT NULL,
    session_type        TEXT NOT NULL,
    command             TEXT NOT NULL,
    working_directory   TEXT NOT NULL,
    environment         TEXT NOT NULL,
    schedule            TEXT NOT NULL,
    enabled             INTEGER NOT NULL,
    timeout_seconds     INTEGER,
    stop_grace_seconds  INTEGER NOT NULL,
    warning_exit_codes  TEXT NOT NULL,
    retention_days      INTEGER,
    max_concurrent_runs INTEGER NOT NULL,
    catch_up            INTEGER NOT NULL,
    usn                 INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    last_tick           INTEGER
) WITHOUT ROWID;

CREATE TABLE policy_runs (
    session_id    INTEGER PRIMARY KEY,
    policy_id     TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    process_start INTEGER NOT NULL
);
)sql";

// The aggregate tables are kept by the store from here on (SessionCounts): it counts a batch's writes in memory
// and writes each changed row once before the batch commits, where the triggers wrote four rows per session.
constexpr const char* kV004CountsPerBatch = R"sql(
DROP TRIGGER sessions_counted_on_insert;
DROP TRIGGER sessions_counted_on_delete;
DROP TRIGGER sessions_counted_on_update;
)sql";

// Counts per hour and per minute, below the counts per day: a window's edges are summed from the hours and
// minutes they cover and only the partial minutes at its ends are counted row by row, however many sessions a
// day holds (a server recording a hundred thousand sessions a day counted up to half a day of them per list).
constexpr const char* kV005CountsPerHourAndMinute = R"sql(
CREATE TABLE session_hour_counts (
    hour INTEGER NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (hour, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_hour_counts (hour, type, status, created_by, n)
SELECT start_time / 3600000000 - (start_time < 0 AND start_time % 3600000000 != 0), type, status, created_by, count(*) FROM sessions GROUP BY 1, 2, 3, 4;

CREATE TABLE session_policy_hour_counts (
    hour INTEGER NOT NULL,
    policy_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (hour, policy_id, policy_name, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_policy_hour_counts (hour, policy_id, policy_name, type, status, created_by, n)
SELECT start_time / 3600000000 - (start_time < 0 AND start_time % 3600000000 != 0), policy_id, policy_name, type, status, created_by, count(*) FROM sessions WHERE policy_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TABLE session_minute_counts (
    minute INTEGER NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (minute, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_minute_counts (minute, type, status, created_by, n)
SELECT start_time / 60000000 - (start_time < 0 AND start_time % 60000000 != 0), type, status, created_by, count(*) FROM sessions GROUP BY 1, 2, 3, 4;

CREATE TABLE session_policy_minute_counts (
    minute INTEGER NOT NULL,
    policy_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (minute, policy_id, policy_name, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_policy_minute_counts (minute, policy_id, policy_name, type, status, created_by, n)
SELECT start_time / 60000000 - (start_time < 0 AND start_time % 60000000 != 0), policy_id, policy_name, type, status, created_by, count(*) FROM sessions WHERE policy_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

)sql";

// Counts per period of 32 days (numbered from the epoch, like days), summed from the day counts: a list deep in
// two years of sessions, or a long window, passes over a few dozen periods instead of hundreds of days.
constexpr const char* kV006CountsPerPeriod = R"sql(
CREATE TABLE session_period_counts (
    period INTEGER NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (period, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_period_counts (period, type, status, created_by, n)
SELECT day / 32 - (day < 0 AND day % 32 != 0), type, status, created_by, sum(n) FROM session_day_counts GROUP BY 1, 2, 3, 4;

CREATE TABLE session_policy_period_counts (
    period INTEGER NOT NULL,
    policy_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (period, policy_id, policy_name, type, status, created_by)
) WITHOUT ROWID;

INSERT INTO session_policy_period_counts (period, policy_id, policy_name, type, status, created_by, n)
SELECT day / 32 - (day < 0 AND day % 32 != 0), policy_id, policy_name, type, status, created_by, sum(n) FROM session_policy_day_counts GROUP BY 1, 2, 3, 4, 5, 6;

)sql";

// The list indexes carry each session's usn: a page's keys (start time, id, usn) come from the index alone, and a
// session rendered before at the same usn (a usn changes with every change to a session) need not be read again.
constexpr const char* kV007ListIndexesWithUsn = R"sql(
DROP INDEX sessions_by_start;
CREATE INDEX sessions_by_start ON sessions (start_time DESC, id DESC, usn);
DROP INDEX sessions_by_type;
CREATE INDEX sessions_by_type ON sessions (type, start_time DESC, id DESC, usn);
DROP INDEX sessions_by_status;
CREATE INDEX sessions_by_status ON sessions (status, start_time DESC, id DESC, usn);
DROP INDEX sessions_by_type_status;
CREATE INDEX sessions_by_type_status ON sessions (type, status, start_time DESC, id DESC, usn);
DROP INDEX sessions_by_policy;
CREATE INDEX sessions_by_policy ON sessions (policy_id, start_time DESC, id DESC, usn);
DROP INDEX sessions_by_creator;
CREATE INDEX sessions_by_creator ON sessions (created_by, start_time DESC, id DESC, usn);
)sql";

// Failed logins counted per key (a user name with an address, an address, a user name), and where each user name
// last logged in, so that logins are slowed down across restarts and across servers on one database.
constexpr const char* kV008LoginThrottle = R"sql(
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE login_addresses (
    key          TEXT PRIMARY KEY,
    last_success INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Webhooks, the events for them and the outbox of their deliveries. The change feed is made into events from a
// cursor (one row while any webhook exists), with the sessions seen while not final and the status they were seen
// in, so that a status change is told once; events and the cursor's move commit together. Each webhook makes the
// events after its queued_through into deliveries of its own as it is ready to send them.
constexpr const char* kV009Webhooks = R"sql(
CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    description    TEXT NOT NULL,
    events         TEXT NOT NULL,
    types          TEXT NOT NULL,
    statuses       TEXT NOT NULL,
    policy_ids     TEXT NOT NULL,
    secret         TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    usn            INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    queued_through INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE webhook_cursor (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    after_usn       INTEGER NOT NULL,
    seen_session_id INTEGER NOT NULL
);

CREATE TABLE webhook_watch (
    session_id INTEGER PRIMARY KEY,
    status     TEXT NOT NULL
);

CREATE TABLE webhook_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     INTEGER NOT NULL,
    event          TEXT NOT NULL,
    session_type   TEXT NOT NULL,
    session_status TEXT NOT NULL,
    policy_id      TEXT,
    payload        TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id),
    session_id      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_of_session ON webhook_deliveries (webhook_id, session_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    time        INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;
)sql";

// The events of a step of the webhook job in one row, packed (see sqlite/event_steps.hpp), rather than a row
// each: those rows, written beside the creations, made them wait. Event ids go on from the last AUTOINCREMENT gave,
// now counted in the cursor's row; the events already kept become steps of one event each, in the plain form. The
// deliveries no longer refer to an event row (an event is a position in a step): the deliveries and their attempts
// are made again without that foreign key, keeping their ids and the next delivery id.
constexpr const char* kV010WebhookEventSteps = R"sql(
CREATE TABLE webhook_event_steps (
    first_event_id INTEGER PRIMARY KEY,
    last_event_id  INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    events         BLOB NOT NULL
);
INSERT INTO webhook_event_steps (first_event_id, last_event_id, created_at, events)
    SELECT id, id, created_at, json_array(json_array(session_id, event, session_type, session_status, policy_id,
           created_at, length(CAST(payload AS BLOB)))) || char(10) || payload
    FROM webhook_events;

ALTER TABLE webhook_cursor ADD COLUMN last_event_id INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_cursor SET last_event_id = max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'webhook_events'),
    0), coalesce((SELECT max(id) FROM webhook_events), 0));

CREATE TABLE webhook_deliveries_v10 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER
);
INSERT INTO webhook_deliveries_v10 (id, webhook_id, event_id, session_id, created_at, state, attempts, next_attempt_at)
    SELECT id, webhook_id, event_id, session_id, created_at, state, attempts, next_attempt_at FROM webhook_deliveries;
DELETE FROM sqlite_sequence WHERE name = 'webhook_deliveries_v10';
INSERT INTO sqlite_sequence (name, seq) SELECT 'webhook_deliveries_v10', seq FROM sqlite_sequence
    WHERE name = 'webhook_deliveries';

CREATE TABLE webhook_attempts_v10 (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries_v10 (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    time        INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;
INSERT INTO webhook_attempts_v10 (delivery_id, number, time, status_code, error, duration_ms)
    SELECT delivery_id, number, time, status_code, error, duration_ms FROM webhook_attempts;

DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
ALTER TABLE webhook_deliveries_v10 RENAME TO webhook_deliveries;
ALTER TABLE webhook_attempts_v10 RENAME TO webhook_attempts;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_of_session ON webhook_deliveries (webhook_id, session_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
)sql";

constexpr std::array<Migration, 10> kMigrations{{
    {1, "init", kV001Init},
    {2, "list indexes and per-day counts", kV002ListIndexesAndCounts},
    {3, "policies", kV003Policies},
    {4, "session counts written per batch", kV004CountsPerBatch},
    {5, "session counts per hour and minute", kV005CountsPerHourAndMinute},
    {6, "session counts per 32-day period", kV006CountsPerPeriod},
    {7, "list indexes with the usn", kV007ListIndexesWithUsn},
    {8, "login throttle", kV008LoginThrottle},
    {9, "webhooks", kV009Webhooks},
    {10, "webhook events kept per step", kV010WebhookEventSteps},
}};

} // namespace

std::span<const Migration> sqlite_migrations() noexcept
{
    return kMigrations;
}

} // namespace jobsessions::store::migrations
