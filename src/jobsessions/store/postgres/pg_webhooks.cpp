// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's webhooks, the cursor through the change feed, and the deliveries' outbox.
#include "jobsessions/store/policy_columns.hpp"
#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/store/webhook_columns.hpp"

#include <algorithm>

namespace jobsessions::store::postgres {

using domain::DeliveryAttempt;
using domain::Webhook;
using domain::WebhookDelivery;

namespace {

#define JOBSESSIONS_PG_WEBHOOK_COLUMNS                                                                                 \
    "id, url, description, events, types, statuses, policy_ids, secret, enabled, usn, created_at"
#define JOBSESSIONS_PG_DELIVERY_COLUMNS                                                                                \
    "d.id, d.webhook_id, e.event, d.session_id, e.payload, d.created_at, d.state, d.attempts, d.next_attempt_at"

constexpr const char* kSelectWebhooks =
    "SELECT " JOBSESSIONS_PG_WEBHOOK_COLUMNS ", queued_through FROM webhooks ORDER BY created_at, id";
constexpr const char* kSelectWebhook =
    "SELECT " JOBSESSIONS_PG_WEBHOOK_COLUMNS ", queued_through FROM webhooks WHERE id = $1";
constexpr const char* kInsertWebhook =
    "INSERT INTO webhooks (" JOBSESSIONS_PG_WEBHOOK_COLUMNS ", queued_through) VALUES ($1, $2, $3, $4, $5, $6, $7,"
    " $8, $9, $10, $11, (SELECT coalesce(max(id), 0) FROM webhook_events))";
constexpr const char* kPassOverEvents =
    "UPDATE webhooks SET queued_through = (SELECT coalesce(max(id), 0) FROM webhook_events) WHERE id = $1";
constexpr const char* kUpdateWebhook =
    "UPDATE webhooks SET url = $2, description = $3, events = $4, types = $5, statuses = $6, policy_ids = $7,"
    " secret = $8, enabled = $9, usn = $10 WHERE id = $1 RETURNING created_at";
constexpr const char* kDeleteWebhook = "DELETE FROM webhooks WHERE id = $1";
constexpr const char* kCountWebhooks = "SELECT count(*) FROM webhooks";
constexpr const char* kGiveUpPending = "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL"
                                       " WHERE webhook_id = $1 AND state = 'pending'";
constexpr const char* kSelectCursor = "SELECT after_usn, seen_session_id FROM webhook_cursor WHERE id = 1";
// Run by the writer, which holds the usn counter: no session write commits in between.
constexpr const char* kStartCursor =
    "INSERT INTO webhook_cursor (id, after_usn, seen_session_id)"
    " SELECT 1, coalesce(max(usn), 0), coalesce(max(id), 0) FROM sessions ON CONFLICT (id) DO NOTHING";
constexpr const char* kWatchUnfinished =
    "INSERT INTO webhook_watch (session_id, status) SELECT id, status FROM sessions WHERE status IN ('Pending',"
    " 'Running', 'RunningWithWarning', 'RunningWithError', 'Canceling')"
    " ON CONFLICT (session_id) DO UPDATE SET status = excluded.status";
constexpr const char* kUpdateCursor = "UPDATE webhook_cursor SET after_usn = $3, seen_session_id = $4"
                                      " WHERE id = 1 AND after_usn = $1 AND seen_session_id = $2";
constexpr const char* kDeleteCursor = "DELETE FROM webhook_cursor";
constexpr const char* kDeleteWatch = "DELETE FROM webhook_watch";
constexpr const char* kDeleteEvents = "DELETE FROM webhook_events";
constexpr const char* kSelectWatched =
    "SELECT session_id, status FROM webhook_watch WHERE session_id = ANY($1::bigint[])";
constexpr const char* kSelectUnseen =
    "SELECT 1 FROM sessions AS s WHERE s.id > $1 AND s.id <= $2 AND s.usn > $3"
    " AND NOT EXISTS (SELECT 1 FROM webhook_watch AS w WHERE w.session_id = s.id) LIMIT 1";
constexpr const char* kWatch =
    "INSERT INTO webhook_watch (session_id, status) SELECT * FROM unnest($1::bigint[], $2::text[])"
    " ON CONFLICT (session_id) DO UPDATE SET status = excluded.status";
constexpr const char* kForgetFinal = "DELETE FROM webhook_watch WHERE session_id <= $1"
                                     " AND status IN ('Success', 'Warning', 'Error', 'Canceled', 'NeverExecuted')";
constexpr const char* kInsertEvents =
    "INSERT INTO webhook_events (session_id, event, session_type, session_status, policy_id, payload, created_at)"
    " SELECT s, e, t, st, nullif(p, ''), pl, c FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],"
    " $5::text[], $6::text[], $7::bigint[]) WITH ORDINALITY AS x(s, e, t, st, p, pl, c, n) ORDER BY n";
constexpr const char* kSelectEventsAfter =
    "SELECT id, session_id, event, session_type, session_status, policy_id, created_at FROM webhook_events"
    " WHERE id > $1 ORDER BY id LIMIT $2";
constexpr const char* kMoveQueue = "UPDATE webhooks SET queued_through = $3 WHERE id = $1 AND queued_through = $2";
// A new delivery waits at least as long as the pending ones of its session (see kHoldBackLater).
constexpr const char* kInsertDeliveries =
    "INSERT INTO webhook_deliveries (webhook_id, event_id, session_id, created_at, state, attempts, next_attempt_at)"
    " SELECT $1, ev.id, ev.session_id, $3, 'pending', 0, greatest($3, (SELECT max(x.next_attempt_at) FROM"
    " webhook_deliveries AS x WHERE x.webhook_id = $1 AND x.session_id = ev.session_id AND x.state = 'pending'))"
    " FROM unnest($2::bigint[]) WITH ORDINALITY AS t(event_id, n) JOIN webhook_events AS ev ON ev.id = t.event_id"
    " ORDER BY t.n";
constexpr const char* kSelectDue =
    "SELECT " JOBSESSIONS_PG_DELIVERY_COLUMNS " FROM webhook_deliveries AS d JOIN webhook_events AS e"
    " ON e.id = d.event_id WHERE d.webhook_id = $1 AND d.state = 'pending' AND d.next_attempt_at <= $2"
    " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS earlier WHERE earlier.state = 'pending'"
    " AND earlier.webhook_id = d.webhook_id AND earlier.session_id = d.session_id AND earlier.id < d.id)"
    " ORDER BY d.next_attempt_at, d.id LIMIT $3";
constexpr const char* kSelectNextDue =
    "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'";
constexpr const char* kUpdateDelivery =
    "UPDATE webhook_deliveries SET state = $2, attempts = $3, next_attempt_at = $4 WHERE id = $1";
// A delivery waiting for a retry holds back the later ones of its session (see the SQLite store).
constexpr const char* kHoldBackLater =
    "UPDATE webhook_deliveries SET next_attempt_at = greatest(next_attempt_at, $2) WHERE state = 'pending'"
    " AND id > $1 AND (webhook_id, session_id) = (SELECT webhook_id, session_id FROM webhook_deliveries"
    " WHERE id = $1)";
constexpr const char* kInsertAttempt =
    "INSERT INTO webhook_attempts (delivery_id, number, time, status_code, error, duration_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, number) DO UPDATE SET time = $3,"
    " status_code = $4, error = $5, duration_ms = $6";
constexpr const char* kCountDeliveries = "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1";
constexpr const char* kSelectDeliveries =
    "SELECT " JOBSESSIONS_PG_DELIVERY_COLUMNS " FROM webhook_deliveries AS d JOIN webhook_events AS e"
    " ON e.id = d.event_id WHERE d.webhook_id = $1 ORDER BY d.id DESC OFFSET $2 LIMIT $3";
constexpr const char* kSelectAttempts =
    "SELECT delivery_id, number, time, status_code, error, duration_ms FROM webhook_attempts"
    " WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, number";
constexpr const char* kDeleteOldDeliveries =
    "DELETE FROM webhook_deliveries WHERE created_at < $1 AND state <> 'pending'";
constexpr const char* kDeleteOldEvents =
    "DELETE FROM webhook_events AS ev WHERE ev.id <= (SELECT coalesce(min(queued_through), 0) FROM webhooks)"
    " AND ev.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.event_id = ev.id)";

#undef JOBSESSIONS_PG_WEBHOOK_COLUMNS
#undef JOBSESSIONS_PG_DELIVERY_COLUMNS

std::vector<Param> webhook_params(const Webhook& w)
{
    return {param(w.id),
            param(w.url),
            param(w.description),
            param(encode_events(w.events)),
            param(encode_types(w.types)),
            param(encode_statuses(w.statuses)),
            param(encode_words(w.policy_ids)),
            param(w.secret),
            flag(w.enabled),
            param(w.usn),
            param(w.created_at)};
}

Result<Webhook> read_webhook(const Rows& rows, int r)
{
    Webhook w;
    w.id = std::string(rows.text(r, 0));
    w.url = std::string(rows.text(r, 1));
    w.description = std::string(rows.text(r, 2));
    if (!decode_webhook_lists(w, rows.text(r, 3), rows.text(r, 4), rows.text(r, 5), rows.text(r, 6))) {
        return StoreError{StoreErrc::Corrupt, "webhook " + w.id + " cannot be read"};
    }
    w.secret = std::string(rows.text(r, 7));
    w.enabled = rows.boolean(r, 8);
    w.usn = rows.int64(r, 9);
    w.created_at = rows.int64(r, 10);
    w.queued_through = rows.int64(r, 11);
    return w;
}

Result<std::vector<WebhookDelivery>> read_deliveries(const Rows& rows)
{
    std::vector<WebhookDelivery> out;
    out.reserve(static_cast<std::size_t>(rows.count()));
    for (int r = 0; r < rows.count(); ++r) {
        WebhookDelivery d;
        d.id = rows.int64(r, 0);
        d.webhook_id = std::string(rows.text(r, 1));
        const auto event = domain::parse_webhook_event(rows.text(r, 2));
        const auto state = parse_delivery_state(rows.text(r, 6));
        if (!event || !state) {
            return StoreError{StoreErrc::Corrupt, "delivery " + std::to_string(d.id) + " cannot be read"};
        }
        d.event = *event;
        d.session_id = rows.int64(r, 3);
        d.payload = std::string(rows.text(r, 4));
        d.created_at = rows.int64(r, 5);
        d.state = *state;
        d.attempts = rows.int64(r, 7);
        d.next_attempt_at = rows.optional_int64(r, 8);
        out.push_back(std::move(d));
    }
    return out;
}

// Lets the current transaction's commit return before its WAL is flushed, for writes made again from what synced
// ones stored when a crash of the database's machine loses them (the WAL is flushed in order, so never before a
// later synced commit).
Result<void> commit_without_waiting_for_the_flush(Connection& db)
{
    if (auto set = db.exec("SET LOCAL synchronous_commit = off"); !set) {
        return set.error();
    }
    return {};
}

} // namespace

Result<std::vector<Webhook>> PgStore::list_webhooks()
{
    auto rows = prepared(kSelectWebhooks);
    if (!rows) {
        return rows.error();
    }
    std::vector<Webhook> out;
    for (int r = 0; r < rows->count(); ++r) {
        auto w = read_webhook(*rows, r);
        if (!w) {
            return w.error();
        }
        out.push_back(std::move(*w));
    }
    return out;
}

Result<Webhook> PgStore::get_webhook(const std::string& id)
{
    auto rows = prepared(kSelectWebhook, {param(id)});
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return StoreError{StoreErrc::NotFound, "webhook not found"};
    }
    return read_webhook(*rows, 0);
}

Result<Webhook> PgStore::create_webhook(const Webhook& webhook)
{
    return writer_.write<Webhook>([&](Connection& db) -> Result<Webhook> {
        Webhook created = webhook;
        auto usn = next_usn(db);
        if (!usn) {
            return usn.error();
        }
        created.usn = *usn;
        if (auto inserted = db.exec_prepared(kInsertWebhook, webhook_params(created)); !inserted) {
            return inserted.error();
        }
        auto started = db.exec_prepared(kStartCursor);
        if (!started) {
            return started.error();
        }
        if (started->affected() > 0) {
            if (auto watched = db.exec_prepared(kWatchUnfinished); !watched) {
                return watched.error();
            }
        }
        return created;
    });
}

Result<Webhook> PgStore::update_webhook(const Webhook& webhook)
{
    return writer_.write<Webhook>([&](Connection& db) -> Result<Webhook> {
        Webhook updated = webhook;
        auto usn = next_usn(db);
        if (!usn) {
            return usn.error();
        }
        updated.usn = *usn;
        auto params = webhook_params(updated);
        params.pop_back(); // created_at is kept
        auto rows = db.exec_prepared(kUpdateWebhook, params);
        if (!rows) {
            return rows.error();
        }
        if (rows->count() == 0) {
            return StoreError{StoreErrc::NotFound, "webhook not found"};
        }
        updated.created_at = rows->int64(0, 0);
        if (!updated.enabled) {
            for (const char* sql : {kGiveUpPending, kPassOverEvents}) {
                if (auto done = db.exec_prepared(sql, {param(updated.id)}); !done) {
                    return done.error();
                }
            }
        }
        return updated;
    });
}

Result<void> PgStore::delete_webhook(const std::string& id)
{
    return writer_.write<void>([&](Connection& db) -> Result<void> {
        auto deleted = db.exec_prepared(kDeleteWebhook, {param(id)});
        if (!deleted) {
            return deleted.error();
        }
        if (deleted->affected() == 0) {
            return StoreError{StoreErrc::NotFound, "webhook not found"};
        }
        auto left = db.exec_prepared(kCountWebhooks);
        if (!left) {
            return left.error();
        }
        if (left->int64(0, 0) == 0) {
            for (const char* sql : {kDeleteCursor, kDeleteWatch, kDeleteEvents}) {
                if (auto cleared = db.exec_prepared(sql); !cleared) {
                    return cleared.error();
                }
            }
        }
        return {};
    });
}

Result<std::optional<WebhookCursor>> PgStore::webhook_cursor()
{
    auto rows = prepared(kSelectCursor);
    if (!rows) {
        return rows.error();
    }
    if (rows->count() == 0) {
        return std::optional<WebhookCursor>();
    }
    return std::optional<WebhookCursor>(WebhookCursor{rows->int64(0, 0), rows->int64(0, 1)});
}

Result<std::vector<std::pair<std::int64_t, domain::SessionStatus>>>
PgStore::watched_sessions(const std::vector<std::int64_t>& session_ids)
{
    auto rows = prepared(kSelectWatched, {int_array(session_ids)});
    if (!rows) {
        return rows.error();
    }
    std::vector<std::pair<std::int64_t, domain::SessionStatus>> out;
    for (int r = 0; r < rows->count(); ++r) {
        const auto status = domain::parse_session_status(rows->text(r, 1));
        if (!status) {
            return StoreError{StoreErrc::Corrupt, "a watched session's status cannot be read"};
        }
        out.emplace_back(rows->int64(r, 0), *status);
    }
    return out;
}

Result<bool> PgStore::unseen_session_between(std::int64_t after_id, std::int64_t through_id, std::int64_t after_usn)
{
    auto rows = prepared(kSelectUnseen, {param(after_id), param(through_id), param(after_usn)});
    if (!rows) {
        return rows.error();
    }
    return rows->count() > 0;
}

Result<bool> PgStore::record_webhook_dispatch(const WebhookDispatch& step)
{
    return pool_.transaction([&](Connection& db) -> Result<bool> {
        // A step a crash loses is taken again from the change feed.
        if (auto unsynced = commit_without_waiting_for_the_flush(db); !unsynced) {
            return unsynced.error();
        }
        auto moved = db.exec_prepared(kUpdateCursor, {param(step.from.after_usn), param(step.from.seen_session_id),
                                                      param(step.to.after_usn), param(step.to.seen_session_id)});
        if (!moved) {
            return moved.error();
        }
        if (moved->affected() == 0) {
            return false; // moved by another server's step, or no webhook is left
        }
        if (!step.events.empty()) {
            std::vector<std::int64_t> sessions;
            std::vector<std::string> events;
            std::vector<std::string> types;
            std::vector<std::string> statuses;
            std::vector<std::string> policies; // empty for none: the array holds no NULL
            std::vector<std::string> payloads;
            std::vector<std::int64_t> times;
            for (const auto& e : step.events) {
                sessions.push_back(e.session_id);
                events.emplace_back(domain::to_string(e.event));
                types.emplace_back(domain::to_string(e.subject.type));
                statuses.emplace_back(domain::to_string(e.subject.status));
                policies.push_back(e.subject.policy_id.value_or(""));
                payloads.push_back(e.payload);
                times.push_back(e.created_at);
            }
            if (auto inserted = db.exec_prepared(
                    kInsertEvents, {int_array(sessions), text_array(events), text_array(types), text_array(statuses),
                                    text_array(policies), text_array(payloads), int_array(times)});
                !inserted) {
                return inserted.error();
            }
        }
        if (!step.watched.empty()) {
            std::vector<std::int64_t> ids;
            std::vector<std::string> statuses;
            for (const auto& [id, status] : step.watched) {
                ids.push_back(id);
                statuses.emplace_back(domain::to_string(status));
            }
            if (auto watched = db.exec_prepared(kWatch, {int_array(ids), text_array(statuses)}); !watched) {
                return watched.error();
            }
        }
        if (auto forgot = db.exec_prepared(kForgetFinal, {param(step.to.seen_session_id)}); !forgot) {
            return forgot.error();
        }
        return true;
    });
}

Result<std::vector<domain::WebhookEventRecord>> PgStore::events_after(std::int64_t after_id, std::int64_t limit)
{
    auto rows = prepared(kSelectEventsAfter, {param(after_id), param(limit)});
    if (!rows) {
        return rows.error();
    }
    std::vector<domain::WebhookEventRecord> out;
    for (int r = 0; r < rows->count(); ++r) {
        domain::WebhookEventRecord e;
        e.id = rows->int64(r, 0);
        e.session_id = rows->int64(r, 1);
        const auto event = domain::parse_webhook_event(rows->text(r, 2));
        const auto type = domain::parse_session_type(rows->text(r, 3));
        const auto status = domain::parse_session_status(rows->text(r, 4));
        if (!event || !type || !status) {
            return StoreError{StoreErrc::Corrupt, "webhook event " + std::to_string(e.id) + " cannot be read"};
        }
        e.event = *event;
        e.subject = {*type, *status, rows->null(r, 5) ? std::nullopt : std::optional(std::string(rows->text(r, 5)))};
        e.created_at = rows->int64(r, 6);
        out.push_back(std::move(e));
    }
    return out;
}

Result<bool> PgStore::queue_deliveries(const std::string& webhook_id, std::int64_t from, std::int64_t through,
                                       const std::vector<QueuedEvent>& events, util::Micros now)
{
    std::vector<std::int64_t> event_ids;
    event_ids.reserve(events.size());
    for (const auto& e : events) {
        event_ids.push_back(e.event_id);
    }
    return pool_.transaction([&](Connection& db) -> Result<bool> {
        // Deliveries a crash loses are queued again from the events (their queue moves back).
        if (auto unsynced = commit_without_waiting_for_the_flush(db); !unsynced) {
            return unsynced.error();
        }
        auto moved = db.exec_prepared(kMoveQueue, {param(webhook_id), param(from), param(through)});
        if (!moved) {
            return moved.error();
        }
        if (moved->affected() == 0) {
            return false; // queued by another server, or deleted
        }
        if (!event_ids.empty()) {
            if (auto inserted =
                    db.exec_prepared(kInsertDeliveries, {param(webhook_id), int_array(event_ids), param(now)});
                !inserted) {
                return inserted.error();
            }
        }
        return true;
    });
}

Result<std::vector<WebhookDelivery>> PgStore::due_deliveries(const std::string& webhook_id, util::Micros now,
                                                             std::int64_t limit)
{
    auto rows = prepared(kSelectDue, {param(webhook_id), param(now), param(limit)});
    if (!rows) {
        return rows.error();
    }
    return read_deliveries(*rows);
}

Result<std::optional<util::Micros>> PgStore::next_delivery_time(const std::string& webhook_id)
{
    auto rows = prepared(kSelectNextDue, {param(webhook_id)});
    if (!rows) {
        return rows.error();
    }
    return rows->optional_int64(0, 0);
}

Result<void> PgStore::record_delivery_attempt(const DeliveryAttempt& attempt, domain::DeliveryState state,
                                              std::optional<util::Micros> next_attempt_at)
{
    return pool_.transaction([&](Connection& db) -> Result<void> {
        auto updated = db.exec_prepared(kUpdateDelivery, {param(attempt.delivery_id), param(domain::to_string(state)),
                                                          param(attempt.number), param_or_null(next_attempt_at)});
        if (!updated) {
            return updated.error();
        }
        if (updated->affected() == 0) {
            return StoreError{StoreErrc::NotFound, "delivery not found"}; // its webhook was deleted meanwhile
        }
        if (next_attempt_at) {
            if (auto held = db.exec_prepared(kHoldBackLater, {param(attempt.delivery_id), param(*next_attempt_at)});
                !held) {
                return held.error();
            }
        }
        if (auto inserted = db.exec_prepared(kInsertAttempt, {param(attempt.delivery_id), param(attempt.number),
                                                              param(attempt.time), param_or_null(attempt.status_code),
                                                              param(attempt.error), param(attempt.duration_ms)});
            !inserted) {
            return inserted.error();
        }
        return {};
    });
}

Result<DeliveryPage> PgStore::list_deliveries(const std::string& webhook_id, std::int64_t offset, std::int64_t limit)
{
    return pool_.transaction([&](Connection& db) -> Result<DeliveryPage> {
        auto hook = db.exec_prepared(kSelectWebhook, {param(webhook_id)});
        if (!hook) {
            return hook.error();
        }
        if (hook->count() == 0) {
            return StoreError{StoreErrc::NotFound, "webhook not found"};
        }
        DeliveryPage page;
        auto count = db.exec_prepared(kCountDeliveries, {param(webhook_id)});
        if (!count) {
            return count.error();
        }
        page.total_count = count->int64(0, 0);
        auto rows = db.exec_prepared(kSelectDeliveries, {param(webhook_id), param(offset), param(limit)});
        if (!rows) {
            return rows.error();
        }
        auto deliveries = read_deliveries(*rows);
        if (!deliveries) {
            return deliveries.error();
        }
        page.deliveries = std::move(*deliveries);
        std::vector<std::int64_t> ids;
        for (const auto& d : page.deliveries) {
            ids.push_back(d.id);
        }
        auto attempts = db.exec_prepared(kSelectAttempts, {int_array(ids)});
        if (!attempts) {
            return attempts.error();
        }
        page.attempts.resize(page.deliveries.size());
        for (int r = 0; r < attempts->count(); ++r) {
            DeliveryAttempt a;
            a.delivery_id = attempts->int64(r, 0);
            a.number = attempts->int64(r, 1);
            a.time = attempts->int64(r, 2);
            a.status_code = attempts->optional_int64(r, 3);
            a.error = std::string(attempts->text(r, 4));
            a.duration_ms = attempts->int64(r, 5);
            const auto at = std::find(ids.begin(), ids.end(), a.delivery_id);
            if (at != ids.end()) {
                page.attempts[static_cast<std::size_t>(at - ids.begin())].push_back(std::move(a));
            }
        }
        return page;
    });
}

Result<std::int64_t> PgStore::delete_old_deliveries(util::Micros before)
{
    return pool_.transaction([&](Connection& db) -> Result<std::int64_t> {
        auto deleted = db.exec_prepared(kDeleteOldDeliveries, {param(before)});
        if (!deleted) {
            return deleted.error();
        }
        if (auto events = db.exec_prepared(kDeleteOldEvents, {param(before)}); !events) {
            return events.error();
        }
        return deleted->affected();
    });
}

} // namespace jobsessions::store::postgres
