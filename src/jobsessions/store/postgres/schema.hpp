// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/util/time.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace jobsessions::store::postgres {

/// The schema version this server writes.
inline constexpr int kSchemaVersion = 9;
/// The database's schema version: the last step applied (0 before any).
inline constexpr const char* kSelectSchemaVersion = "SELECT coalesce(max(version), 0) FROM schema_migrations";

/// Brings the database to kSchemaVersion, step by step, each step in its own transaction and recorded in
/// schema_migrations. Several servers starting at once on one database take turns (a transaction-level advisory
/// lock): one applies each step, the others find it applied. A database newer than this server is refused.
Result<void> migrate(ConnectionPool& pool);

/// Takes the next usn inside the caller's transaction. The counter row stays locked until that transaction ends,
/// so usns become visible in the order they were given: a reader asking for changes after usn N never skips one
/// that commits later (as sequences, whose values commit out of order, would). Take it as late in the transaction
/// as possible: writers wait for each other here. In a batch that began with begin_usn_batch, the usn is counted
/// in memory and the counter written back by settle_transaction.
Result<std::int64_t> next_usn(Connection& db);

/// Locks the usn counter to the end of the transaction: the write batches of every server wait for it to end.
Result<void> lock_usn_counter(Connection& db);

/// Begins a transaction that locks the usn counter to its end and counts usns from it in memory, and reserves ids
/// for `new_sessions` sessions to be created in it (one round trip). Ids taken under the counter's lock rise in the
/// order their transactions commit, as usns do.
Result<void> begin_usn_batch(Connection& db, std::int64_t new_sessions);

/// The id of a new session: one reserved by begin_usn_batch, or (none left) the sequence's next, in a round trip.
Result<std::int64_t> take_session_id(Connection& db);

/// The sessions' version as an SQL expression: the usn counter plus the count of retention's deletions (each batch
/// of deletions adds one). Both only grow, and every write that can change a list or a count moves one of them in
/// the transaction that makes it, so equal versions read at two times mean every list was the same at both.
#define JOBSESSIONS_PG_SESSIONS_VERSION "(SELECT sum(value) FROM counters WHERE name IN ('usn', 'deletions'))::bigint"

/// Begins a repeatable-read, read-only transaction and reads the sessions' version in its snapshot (one round
/// trip): what the transaction reads is the store as it was at that version.
Result<std::int64_t> begin_read_snapshot(Connection& db);

/// The channel on which servers announce what their transactions changed (delivered when they commit).
inline constexpr const char* kChangesChannel = "jobsessions_changes";
/// Payloads announced besides a session's id.
inline constexpr const char* kAnnounceAllSessions = "sessions";
inline constexpr const char* kAnnouncePolicies = "policies";
/// Announced by each step of a migration: the servers of an older schema step out at once (ClusterNode).
inline constexpr const char* kAnnounceSchema = "schema";

/// Announces a change to the servers listening: a session's id, or one of the payloads above. Kept with the
/// transaction and sent by settle_transaction, once for all, so that it is delivered only if the transaction
/// commits.
void announce(Connection& db, const std::string& payload);

/// What a transaction does last before COMMIT: sends its announcements and writes back the usn counter of a
/// batch, after its deferred statements. Its notes are cleared either way.
Result<void> settle_transaction(Connection& db);
/// settle_transaction, then COMMIT, in one round trip. Nothing is committed when it fails.
Result<void> commit_transaction(Connection& db);

/// Counts a session (delta +1) or uncounts it (-1) in the kept counts of its type, status, creator and policy,
/// overall, per hour, day and 32-day period of its start, settled with the transaction.
void count_session(Connection& db, const domain::JobSession& session, std::int64_t delta);

/// The kept counts per time (session_time_totals, session_policy_time_totals) are of hours, days and periods of
/// 32 days. A row's span is its length in minutes and its bucket is numbered in spans from 1970-01-01 (bucket =
/// minute / span, floored): a day's bucket is its day number, a period's the day's divided by 32. Servers before
/// schema 9 counted in days (spans 1 and 32), which the tables no longer accept.
inline constexpr std::int64_t kHourSpan = 60;
inline constexpr std::int64_t kDaySpan = 24 * kHourSpan;
inline constexpr std::int64_t kPeriodSpan = 32 * kDaySpan;
/// The spans, coarsest first.
inline constexpr std::array<std::int64_t, 3> kSpans{kPeriodSpan, kDaySpan, kHourSpan};

/// The finest span of the counts per time, per policy or of all sessions. The counts per policy have no hours: a
/// day of one policy's sessions is few enough for a page's statement to skip, and counting each policy's hours
/// cost a row for nearly every session (a million sessions of fifty policies: 572,000 rows, 167 MB).
constexpr std::int64_t finest_span(bool per_policy)
{
    return per_policy ? kDaySpan : kHourSpan;
}

/// kSpans, and the spans of a policy's counts (finest_span), as SQL: a VALUES list of one column, for the statements
/// that count in SQL (the recount, retention's deletes).
#define JOBSESSIONS_PG_SPANS "(VALUES (60), (1440), (46080))"
#define JOBSESSIONS_PG_POLICY_SPANS "(VALUES (1440), (46080))"
/// The first minute of the hour a session's start_time falls in, as an SQL expression (floored, as hour_of).
#define JOBSESSIONS_PG_START_HOUR_MINUTE "floor(start_time / 3600000000.0)::bigint * 60"

/// The UTC hour a time falls in, in hours since 1970 (floored, as the schema's SQL computes it).
constexpr std::int64_t hour_of(util::Micros t)
{
    return util::floor_div(t, util::kMicrosPerHour);
}

/// Counts every session again into the kept counts, replacing them (after a bulk copy).
Result<void> recount_sessions(Connection& db);

} // namespace jobsessions::store::postgres
