// SPDX-License-Identifier: Apache-2.0
// The webhook part of the SQLite store: webhooks, the cursor through the change feed, and the deliveries' outbox.
#include "jobsessions/store/policy_columns.hpp"
#include "jobsessions/store/sqlite/event_steps.hpp"
#include "jobsessions/store/sqlite/sqlite_store.hpp"
#include "jobsessions/store/webhook_columns.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>

namespace jobsessions::store::sqlite {
namespace {

using domain::DeliveryAttempt;
using domain::Webhook;
using domain::WebhookDelivery;

constexpr const char* kSelectWebhooks =
    "SELECT id, url, description, events, types, statuses, policy_ids, secret, enabled, usn, created_at,"
    " queued_through FROM webhooks ORDER BY created_at, id";
constexpr const char* kSelectWebhook =
    "SELECT id, url, description, events, types, statuses, policy_ids, secret, enabled, usn, created_at,"
    " queued_through FROM webhooks WHERE id = ?1";
// The id of the newest event kept (0 when none is).
#define JOBSESSIONS_NEWEST_EVENT                                                                                       \
    "coalesce((SELECT last_event_id FROM webhook_event_steps ORDER BY first_event_id DESC LIMIT 1), 0)"
constexpr const char* kInsertWebhook =
    "INSERT INTO webhooks (id, url, description, events, types, statuses, policy_ids, secret, enabled, usn,"
    " created_at, queued_through) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " JOBSESSIONS_NEWEST_EVENT ")";
constexpr const char* kUpdateWebhook =
    "UPDATE webhooks SET url = ?2, description = ?3, events = ?4, types = ?5, statuses = ?6, policy_ids = ?7,"
    " secret = ?8, enabled = ?9, usn = ?10 WHERE id = ?1";
constexpr const char* kPassOverEvents =
    "UPDATE webhooks SET queued_through = " JOBSESSIONS_NEWEST_EVENT " WHERE id = ?1";
#undef JOBSESSIONS_NEWEST_EVENT
constexpr const char* kDeleteWebhook = "DELETE FROM webhooks WHERE id = ?1";
constexpr const char* kCountWebhooks = "SELECT count(*) FROM webhooks";
constexpr const char* kGiveUpPending =
    "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL WHERE webhook_id = ?1 AND state = "
    "'pending'";

constexpr const char* kSelectCursor = "SELECT after_usn, seen_session_id FROM webhook_cursor WHERE id = 1";
// The change feed as it stands in the writing transaction (the batch's earlier writes included).
constexpr const char* kStartCursor = "INSERT OR IGNORE INTO webhook_cursor (id, after_usn, seen_session_id)"
                                     " SELECT 1, coalesce(max(usn), 0), coalesce(max(id), 0) FROM sessions";
constexpr const char* kWatchUnfinished =
    "INSERT OR REPLACE INTO webhook_watch (session_id, status) SELECT id, status FROM sessions INDEXED BY"
    " sessions_by_status WHERE status IN ('Pending', 'Running', 'RunningWithWarning', 'RunningWithError',"
    " 'Canceling')";
// Also counts the step's events (?5), whose ids go on from the last one given: the new last id.
constexpr const char* kUpdateCursor =
    "UPDATE webhook_cursor SET after_usn = ?3, seen_session_id = ?4, last_event_id = last_event_id + ?5"
    " WHERE id = 1 AND after_usn = ?1 AND seen_session_id = ?2 RETURNING last_event_id";
constexpr const char* kDeleteCursor = "DELETE FROM webhook_cursor";
constexpr const char* kDeleteWatch = "DELETE FROM webhook_watch";
constexpr const char* kDeleteEvents = "DELETE FROM webhook_event_steps";
constexpr const char* kSelectWatched = "SELECT session_id, status FROM (SELECT value AS watched_id FROM json_each(?1))"
                                       " CROSS JOIN webhook_watch ON session_id = watched_id";
constexpr const char* kSelectUnseen =
    "SELECT 1 FROM sessions WHERE id > ?1 AND id <= ?2 AND usn > ?3"
    " AND NOT EXISTS (SELECT 1 FROM webhook_watch WHERE session_id = sessions.id) LIMIT 1";
constexpr const char* kWatch = "INSERT OR REPLACE INTO webhook_watch (session_id, status) VALUES (?1, ?2)";
constexpr const char* kForgetFinal = "DELETE FROM webhook_watch WHERE session_id <= ?1"
                                     " AND status IN ('Success', 'Warning', 'Error', 'Canceled', 'NeverExecuted')";
constexpr const char* kInsertStep =
    "INSERT INTO webhook_event_steps (first_event_id, last_event_id, created_at, events) VALUES (?1, ?2, ?3, ?4)";
// The steps from the one holding event ?1 + 1 on.
constexpr const char* kSelectStepsFrom =
    "SELECT first_event_id, events FROM webhook_event_steps WHERE first_event_id >= coalesce((SELECT"
    " max(first_event_id) FROM webhook_event_steps WHERE first_event_id <= ?1 + 1), 0) ORDER BY first_event_id";
// The step holding event ?1.
constexpr const char* kSelectStepOf = "SELECT first_event_id, events FROM webhook_event_steps WHERE first_event_id <="
                                      " ?1 AND last_event_id >= ?1 ORDER BY first_event_id DESC LIMIT 1";
constexpr const char* kMoveQueue = "UPDATE webhooks SET queued_through = ?3 WHERE id = ?1 AND queued_through = ?2";
// A new delivery waits at least as long as the pending ones of its session (see kHoldBackLater).
constexpr const char* kInsertDelivery =
    "INSERT INTO webhook_deliveries (webhook_id, event_id, session_id, created_at, state, attempts,"
    " next_attempt_at) VALUES (?1, ?2, ?4, ?3, 'pending', 0, max(?3, coalesce((SELECT max(next_attempt_at)"
    " FROM webhook_deliveries INDEXED BY webhook_deliveries_of_session WHERE webhook_id = ?1"
    " AND session_id = ?4 AND state = 'pending'), ?3)))";

// The event and its body come from the delivery's step (see with_events).
constexpr const char* kDeliveryColumns =
    "d.id, d.webhook_id, d.event_id, d.session_id, d.created_at, d.state, d.attempts, d.next_attempt_at";
const std::string kSelectDue =
    std::string("SELECT ") + kDeliveryColumns +
    " FROM webhook_deliveries AS d INDEXED BY webhook_deliveries_due"
    " WHERE d.webhook_id = ?1 AND d.state = 'pending' AND d.next_attempt_at <= ?2"
    " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS earlier INDEXED BY webhook_deliveries_of_session"
    " WHERE earlier.state = 'pending' AND earlier.webhook_id = d.webhook_id AND earlier.session_id = d.session_id"
    " AND earlier.id < d.id) ORDER BY d.next_attempt_at, d.id LIMIT ?3";
constexpr const char* kSelectNextDue = "SELECT min(next_attempt_at) FROM webhook_deliveries INDEXED BY"
                                       " webhook_deliveries_due WHERE webhook_id = ?1 AND state = 'pending'";
constexpr const char* kUpdateDelivery =
    "UPDATE webhook_deliveries SET state = ?2, attempts = ?3, next_attempt_at = ?4 WHERE id = ?1";
// A delivery waiting for a retry holds back the later ones of its session, which wait as long (so that the outbox's
// due index does not list deliveries that cannot go yet).
constexpr const char* kHoldBackLater =
    "UPDATE webhook_deliveries SET next_attempt_at = max(next_attempt_at, ?2) WHERE state = 'pending' AND id > ?1"
    " AND (webhook_id, session_id) = (SELECT webhook_id, session_id FROM webhook_deliveries WHERE id = ?1)";
constexpr const char* kInsertAttempt =
    "INSERT OR REPLACE INTO webhook_attempts (delivery_id, number, time, status_code, error, duration_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kCountDeliveries =
    "SELECT count(*) FROM webhook_deliveries INDEXED BY webhook_deliveries_by_webhook WHERE webhook_id = ?1";
const std::string kSelectDeliveries = std::string("SELECT ") + kDeliveryColumns +
                                      " FROM webhook_deliveries AS d INDEXED BY webhook_deliveries_by_webhook"
                                      " WHERE d.webhook_id = ?1 ORDER BY d.id DESC LIMIT ?3 OFFSET ?2";
constexpr const char* kSelectAttempts =
    "SELECT a.delivery_id, a.number, a.time, a.status_code, a.error, a.duration_ms"
    " FROM (SELECT value AS wanted_id FROM json_each(?1)) CROSS JOIN webhook_attempts AS a"
    " ON a.delivery_id = wanted_id ORDER BY a.delivery_id, a.number";
constexpr const char* kDeleteOldDeliveries = "DELETE FROM webhook_deliveries INDEXED BY webhook_deliveries_by_age"
                                             " WHERE created_at < ?1 AND state <> 'pending'";
constexpr const char* kDeleteOldEvents =
    "DELETE FROM webhook_event_steps WHERE first_event_id <= (SELECT coalesce(min(queued_through), 0) FROM webhooks)"
    " AND last_event_id <= (SELECT coalesce(min(queued_through), 0) FROM webhooks) AND created_at < ?1 AND NOT EXISTS "
    "(SELECT 1 FROM webhook_deliveries INDEXED BY webhook_deliveries_by_event"
    " WHERE event_id BETWEEN webhook_event_steps.first_event_id AND webhook_event_steps.last_event_id)";

// Binds ?1..?10 in the column order of kInsertWebhook (kUpdateWebhook uses the same ten).
void bind_webhook(Statement& stmt, const Webhook& w)
{
    stmt.bind(1, std::string_view(w.id));
    stmt.bind(2, std::string_view(w.url));
    stmt.bind(3, std::string_view(w.description));
    stmt.bind(4, std::string_view(encode_events(w.events)));
    stmt.bind(5, std::string_view(encode_types(w.types)));
    stmt.bind(6, std::string_view(encode_statuses(w.statuses)));
    stmt.bind(7, std::string_view(encode_words(w.policy_ids)));
    stmt.bind(8, std::string_view(w.secret));
    stmt.bind(9, std::int64_t{w.enabled ? 1 : 0});
    stmt.bind(10, w.usn);
}

Result<Webhook> read_webhook(const Statement& row)
{
    Webhook w;
    w.id = std::string(row.column_text(0));
    w.url = std::string(row.column_text(1));
    w.description = std::string(row.column_text(2));
    if (!decode_webhook_lists(w, row.column_text(3), row.column_text(4), row.column_text(5), row.column_text(6))) {
        return StoreError{StoreErrc::Corrupt, "webhook " + w.id + " cannot be read"};
    }
    w.secret = std::string(row.column_text(7));
    w.enabled = row.column_int64(8) != 0;
    w.usn = row.column_int64(9);
    w.created_at = row.column_int64(10);
    w.queued_through = row.column_int64(11);
    return w;
}

/// A delivery as its row has it, with the id of its event (whose kind and body are in the event's step).
struct DeliveryRow {
    WebhookDelivery delivery;
    std::int64_t event_id = 0;
};

Result<DeliveryRow> read_delivery(const Statement& row)
{
    DeliveryRow r;
    WebhookDelivery& d = r.delivery;
    d.id = row.column_int64(0);
    d.webhook_id = std::string(row.column_text(1));
    r.event_id = row.column_int64(2);
    const auto state = parse_delivery_state(row.column_text(5));
    if (!state) {
        return StoreError{StoreErrc::Corrupt, "delivery " + std::to_string(d.id) + " cannot be read"};
    }
    d.session_id = row.column_int64(3);
    d.created_at = row.column_int64(4);
    d.state = *state;
    d.attempts = row.column_int64(6);
    d.next_attempt_at = row.column_optional_int64(7);
    return r;
}

/// The deliveries of `rows` with their events' kinds and bodies, read from the steps that hold them (each once).
Result<std::vector<WebhookDelivery>> with_events(Connection& db, std::vector<DeliveryRow> rows)
{
    auto stmt = db.prepare(kSelectStepOf);
    if (!stmt) {
        return stmt.error();
    }
    std::map<std::int64_t, std::vector<domain::WebhookEventRecord>> steps; // read so far, by their first event's id
    const auto read_before = [&](std::int64_t event_id) -> const domain::WebhookEventRecord* {
        const auto after = steps.upper_bound(event_id);
        if (after == steps.begin()) {
            return nullptr;
        }
        const auto& [first_id, events] = *std::prev(after);
        const auto index = static_cast<std::size_t>(event_id - first_id);
        return index < events.size() ? &events[index] : nullptr;
    };
    std::vector<WebhookDelivery> deliveries;
    deliveries.reserve(rows.size());
    for (auto& row : rows) {
        const auto* event = read_before(row.event_id);
        if (event == nullptr) {
            stmt->reset();
            stmt->bind(1, row.event_id);
            auto found = stmt->step();
            if (!found) {
                return found.error();
            }
            if (*found) {
                auto events = read_event_step(*stmt);
                if (!events) {
                    return events.error();
                }
                steps.emplace(stmt->column_int64(0), std::move(*events));
                event = read_before(row.event_id);
            }
        }
        if (event == nullptr) {
            return StoreError{StoreErrc::Corrupt,
                              "the event of delivery " + std::to_string(row.delivery.id) + " is not kept"};
        }
        row.delivery.event = event->event;
        row.delivery.payload = event->payload;
        deliveries.push_back(std::move(row.delivery));
    }
    return deliveries;
}

Result<DeliveryAttempt> read_attempt(const Statement& row)
{
    DeliveryAttempt a;
    a.delivery_id = row.column_int64(0);
    a.number = row.column_int64(1);
    a.time = row.column_int64(2);
    a.status_code = row.column_optional_int64(3);
    a.error = std::string(row.column_text(4));
    a.duration_ms = row.column_int64(5);
    return a;
}

std::string json_ids(const std::vector<std::int64_t>& ids)
{
    std::string array = "[";
    for (const auto id : ids) {
        if (array.size() > 1) {
            array += ',';
        }
        array += std::to_string(id);
    }
    array += ']';
    return array;
}

Result<std::optional<WebhookCursor>> read_cursor(Connection& db)
{
    auto stmt = db.prepare(kSelectCursor);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<WebhookCursor>();
    }
    return std::optional<WebhookCursor>(WebhookCursor{stmt->column_int64(0), stmt->column_int64(1)});
}

Result<void> run_with_text(Connection& db, const char* sql, std::string_view text)
{
    auto stmt = db.prepare(sql);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, text);
    return stmt->run();
}

} // namespace

Result<std::vector<Webhook>> SqliteStore::list_webhooks()
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectWebhooks);
    if (!stmt) {
        return stmt.error();
    }
    return read_rows<Webhook>(*stmt, read_webhook);
}

Result<Webhook> SqliteStore::get_webhook(const std::string& id)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return select_one(**db, kSelectWebhook, std::string_view(id), "webhook not found", read_webhook);
}

Result<Webhook> SqliteStore::create_webhook(const Webhook& webhook)
{
    return write<Webhook>([&](Connection& db) -> Result<Webhook> {
        auto usn = usn_.next(db);
        if (!usn) {
            return usn.error();
        }
        Webhook created = webhook;
        created.usn = *usn;
        auto stmt = db.prepare(kInsertWebhook);
        if (!stmt) {
            return stmt.error();
        }
        bind_webhook(*stmt, created);
        stmt->bind(11, created.created_at);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        auto start = db.prepare(kStartCursor);
        if (!start) {
            return start.error();
        }
        if (auto r = start->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) > 0) {
            if (auto r = db.run(kWatchUnfinished); !r) {
                return r.error();
            }
        }
        return created;
    });
}

Result<Webhook> SqliteStore::update_webhook(const Webhook& webhook)
{
    return write<Webhook>([&](Connection& db) -> Result<Webhook> {
        auto usn = usn_.next(db);
        if (!usn) {
            return usn.error();
        }
        Webhook updated = webhook;
        updated.usn = *usn;
        auto stmt = db.prepare(kUpdateWebhook);
        if (!stmt) {
            return stmt.error();
        }
        bind_webhook(*stmt, updated);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "webhook not found"};
        }
        if (!updated.enabled) {
            for (const char* sql : {kGiveUpPending, kPassOverEvents}) {
                if (auto r = run_with_text(db, sql, updated.id); !r) {
                    return r.error();
                }
            }
        }
        return updated;
    });
}

Result<void> SqliteStore::delete_webhook(const std::string& id)
{
    return write<void>([&](Connection& db) -> Result<void> {
        if (auto r = run_with_text(db, kDeleteWebhook, id); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "webhook not found"};
        }
        auto left = select_number(db, kCountWebhooks, "the webhook count");
        if (!left) {
            return left.error();
        }
        if (*left == 0) {
            for (const char* sql : {kDeleteCursor, kDeleteWatch, kDeleteEvents}) {
                if (auto r = db.run(sql); !r) {
                    return r.error();
                }
            }
        }
        return {};
    });
}

Result<std::optional<WebhookCursor>> SqliteStore::webhook_cursor()
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return read_cursor(**db);
}

Result<std::vector<std::pair<std::int64_t, domain::SessionStatus>>>
SqliteStore::watched_sessions(const std::vector<std::int64_t>& session_ids)
{
    using Watched = std::pair<std::int64_t, domain::SessionStatus>;
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectWatched);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, std::string_view(json_ids(session_ids)));
    return read_rows<Watched>(*stmt, [](const Statement& row) -> Result<Watched> {
        const auto status = domain::parse_session_status(row.column_text(1));
        if (!status) {
            return StoreError{StoreErrc::Corrupt, "a watched session's status cannot be read"};
        }
        return Watched{row.column_int64(0), *status};
    });
}

Result<bool> SqliteStore::unseen_session_between(std::int64_t after_id, std::int64_t through_id, std::int64_t after_usn)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectUnseen);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, after_id);
    stmt->bind(2, through_id);
    stmt->bind(3, after_usn);
    return stmt->step();
}

Result<bool> SqliteStore::record_webhook_dispatch(const WebhookDispatch& step)
{
    // Unsynced: a step a crash of the machine loses is taken again from the change feed, which synced writes made.
    return write_unsynced<bool>([&](Connection& db) -> Result<bool> {
        auto move = db.prepare(kUpdateCursor);
        if (!move) {
            return move.error();
        }
        move->bind(1, step.from.after_usn);
        move->bind(2, step.from.seen_session_id);
        move->bind(3, step.to.after_usn);
        move->bind(4, step.to.seen_session_id);
        move->bind(5, static_cast<std::int64_t>(step.events.size()));
        auto moved = move->step();
        if (!moved) {
            return moved.error();
        }
        if (!*moved) {
            return false; // moved by another step, or no webhook is left
        }
        const std::int64_t last_id = move->column_int64(0);
        move->reset();
        if (!step.events.empty()) {
            auto insert = db.prepare(kInsertStep);
            if (!insert) {
                return insert.error();
            }
            util::Micros newest = 0;
            for (const auto& e : step.events) {
                newest = std::max(newest, e.created_at);
            }
            insert->bind(1, last_id - static_cast<std::int64_t>(step.events.size()) + 1);
            insert->bind(2, last_id);
            insert->bind(3, newest);
            insert->bind_blob(4, pack_event_step(step.events));
            if (auto r = insert->run(); !r) {
                return r.error();
            }
        }
        auto watch = db.prepare(kWatch);
        if (!watch) {
            return watch.error();
        }
        for (const auto& [id, status] : step.watched) {
            watch->bind(1, id);
            watch->bind(2, domain::to_string(status));
            if (auto r = watch->run(); !r) {
                return r.error();
            }
            watch->reset();
        }
        auto forget = db.prepare(kForgetFinal);
        if (!forget) {
            return forget.error();
        }
        forget->bind(1, step.to.seen_session_id);
        if (auto r = forget->run(); !r) {
            return r.error();
        }
        return true;
    });
}

Result<std::vector<domain::WebhookEventRecord>> SqliteStore::events_after(std::int64_t after_id, std::int64_t limit)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectStepsFrom);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, after_id);
    std::vector<domain::WebhookEventRecord> after;
    while (static_cast<std::int64_t>(after.size()) < limit) {
        auto row = stmt->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        auto events = read_event_step(*stmt);
        if (!events) {
            return events.error();
        }
        for (auto& e : *events) {
            if (e.id > after_id && static_cast<std::int64_t>(after.size()) < limit) {
                e.payload.clear(); // the caller filters; a delivery reads the body again from the step
                after.push_back(std::move(e));
            }
        }
    }
    return after;
}

Result<bool> SqliteStore::queue_deliveries(const std::string& webhook_id, std::int64_t from, std::int64_t through,
                                           const std::vector<QueuedEvent>& events, util::Micros now)
{
    // Unsynced: deliveries a crash of the machine loses are queued again from the events (their queue moves back).
    return write_unsynced<bool>([&](Connection& db) -> Result<bool> {
        auto move = db.prepare(kMoveQueue);
        if (!move) {
            return move.error();
        }
        move->bind(1, std::string_view(webhook_id));
        move->bind(2, from);
        move->bind(3, through);
        if (auto r = move->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return false; // queued by another server, or deleted
        }
        auto insert = db.prepare(kInsertDelivery);
        if (!insert) {
            return insert.error();
        }
        for (const auto& e : events) {
            insert->bind(1, std::string_view(webhook_id));
            insert->bind(2, e.event_id);
            insert->bind(3, now);
            insert->bind(4, e.session_id);
            if (auto r = insert->run(); !r) {
                return r.error();
            }
            insert->reset();
        }
        return true;
    });
}

Result<std::vector<WebhookDelivery>> SqliteStore::due_deliveries(const std::string& webhook_id, util::Micros now,
                                                                 std::int64_t limit)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectDue.c_str());
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, std::string_view(webhook_id));
    stmt->bind(2, now);
    stmt->bind(3, limit);
    auto rows = read_rows<DeliveryRow>(*stmt, read_delivery);
    if (!rows) {
        return rows.error();
    }
    return with_events(**db, std::move(*rows));
}

Result<std::optional<util::Micros>> SqliteStore::next_delivery_time(const std::string& webhook_id)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectNextDue);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, std::string_view(webhook_id));
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return *row ? stmt->column_optional_int64(0) : std::nullopt;
}

Result<void> SqliteStore::record_delivery_attempt(const DeliveryAttempt& attempt, domain::DeliveryState state,
                                                  std::optional<util::Micros> next_attempt_at)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto update = db.prepare(kUpdateDelivery);
        if (!update) {
            return update.error();
        }
        update->bind(1, attempt.delivery_id);
        update->bind(2, domain::to_string(state));
        update->bind(3, attempt.number);
        update->bind(4, next_attempt_at);
        if (auto r = update->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "delivery not found"}; // its webhook was deleted meanwhile
        }
        if (next_attempt_at) {
            auto hold = db.prepare(kHoldBackLater);
            if (!hold) {
                return hold.error();
            }
            hold->bind(1, attempt.delivery_id);
            hold->bind(2, *next_attempt_at);
            if (auto r = hold->run(); !r) {
                return r.error();
            }
        }
        auto insert = db.prepare(kInsertAttempt);
        if (!insert) {
            return insert.error();
        }
        insert->bind(1, attempt.delivery_id);
        insert->bind(2, attempt.number);
        insert->bind(3, attempt.time);
        insert->bind(4, attempt.status_code);
        insert->bind(5, std::string_view(attempt.error));
        insert->bind(6, attempt.duration_ms);
        return insert->run();
    });
}

Result<DeliveryPage> SqliteStore::list_deliveries(const std::string& webhook_id, std::int64_t offset,
                                                  std::int64_t limit)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto exists = select_one(**db, kSelectWebhook, std::string_view(webhook_id), "webhook not found",
                             [](const Statement&) -> Result<void> { return {}; });
    if (!exists) {
        return exists.error();
    }
    DeliveryPage page;
    auto count = select_one(**db, kCountDeliveries, std::string_view(webhook_id), "the delivery count",
                            [](const Statement& row) -> Result<std::int64_t> { return row.column_int64(0); });
    if (!count) {
        return count.error();
    }
    page.total_count = *count;
    auto stmt = (*db)->prepare(kSelectDeliveries.c_str());
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, std::string_view(webhook_id));
    stmt->bind(2, offset);
    stmt->bind(3, limit);
    auto rows = read_rows<DeliveryRow>(*stmt, read_delivery);
    if (!rows) {
        return rows.error();
    }
    auto deliveries = with_events(**db, std::move(*rows));
    if (!deliveries) {
        return deliveries.error();
    }
    page.deliveries = std::move(*deliveries);
    std::vector<std::int64_t> ids;
    ids.reserve(page.deliveries.size());
    for (const auto& d : page.deliveries) {
        ids.push_back(d.id);
    }
    auto attempts_stmt = (*db)->prepare(kSelectAttempts);
    if (!attempts_stmt) {
        return attempts_stmt.error();
    }
    attempts_stmt->bind(1, std::string_view(json_ids(ids)));
    auto attempts = read_rows<DeliveryAttempt>(*attempts_stmt, read_attempt);
    if (!attempts) {
        return attempts.error();
    }
    page.attempts.resize(page.deliveries.size());
    for (auto& attempt : *attempts) {
        const auto at = std::find(ids.begin(), ids.end(), attempt.delivery_id);
        if (at != ids.end()) {
            page.attempts[static_cast<std::size_t>(at - ids.begin())].push_back(std::move(attempt));
        }
    }
    return page;
}

Result<std::int64_t> SqliteStore::delete_old_deliveries(util::Micros before)
{
    return write<std::int64_t>([&](Connection& db) -> Result<std::int64_t> {
        auto stmt = db.prepare(kDeleteOldDeliveries);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, before);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        const std::int64_t deleted = sqlite3_changes(db.handle());
        auto events = db.prepare(kDeleteOldEvents);
        if (!events) {
            return events.error();
        }
        events->bind(1, before);
        if (auto r = events->run(); !r) {
            return r.error();
        }
        return deleted;
    });
}

} // namespace jobsessions::store::sqlite
