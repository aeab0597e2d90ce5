// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/webhook.hpp"
#include "jobsessions/store/store_error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jobsessions::store {

/// How far the change feed has been made into deliveries.
struct WebhookCursor {
    /// Every change up to this usn was looked at.
    std::int64_t after_usn = 0;
    /// Sessions with a higher id were never seen: a change to one is its first.
    std::int64_t seen_session_id = 0;
    bool operator==(const WebhookCursor&) const = default;
};

/// One step through the change feed: the events it found and what it saw, stored together with the cursor's move,
/// so that a step is recorded whole or not at all.
struct WebhookDispatch {
    /// The cursor the step started from; the step is refused when it is no longer the stored one.
    WebhookCursor from;
    WebhookCursor to;
    /// Events for the webhooks (their ids are given by the store).
    std::vector<domain::WebhookEventRecord> events;
    /// Sessions to remember with the status they were seen in: those not final, and those above
    /// `to.seen_session_id` (seen, though sessions below them may not have been yet).
    std::vector<std::pair<std::int64_t, domain::SessionStatus>> watched;
};

/// An event to make into a delivery of a webhook.
struct QueuedEvent {
    std::int64_t event_id = 0;
    /// Its session's id (a session's deliveries go in order).
    std::int64_t session_id = 0;
};

/// A page of a webhook's deliveries, newest first, with their attempts.
struct DeliveryPage {
    std::vector<domain::WebhookDelivery> deliveries;
    /// Each delivery's attempts, oldest first, in the order of `deliveries`.
    std::vector<std::vector<domain::DeliveryAttempt>> attempts;
    std::int64_t total_count = 0;
};

/// Webhooks, the events for them, and the outbox of their deliveries. An event is kept once; each webhook makes
/// the events after its `queued_through` into deliveries of its own when it is ready to send them, so that a
/// webhook whose receiver is down holds no more than the events themselves.
class WebhookStore {
public:
    virtual ~WebhookStore() = default;
    WebhookStore(const WebhookStore&) = delete;
    WebhookStore& operator=(const WebhookStore&) = delete;

    /// Every webhook, oldest first.
    virtual Result<std::vector<domain::Webhook>> list_webhooks() = 0;
    /// One webhook by id; NotFound.
    virtual Result<domain::Webhook> get_webhook(const std::string& id) = 0;
    /// Stores a new webhook (its id set by the caller) with the next usn, queued through the newest event. The
    /// first webhook starts the cursor where the change feed is now, with every session not final watched in
    /// its status.
    virtual Result<domain::Webhook> create_webhook(const domain::Webhook& webhook) = 0;
    /// Replaces a webhook's definition (its secret too), giving it the next usn; NotFound. A webhook disabled
    /// gives up its pending deliveries and is queued through the newest event.
    virtual Result<domain::Webhook> update_webhook(const domain::Webhook& webhook) = 0;
    /// Deletes a webhook with its deliveries; NotFound. The last one removes the cursor, what it watched and the
    /// events.
    virtual Result<void> delete_webhook(const std::string& id) = 0;

    /// Where the change feed stands for webhooks; none while there is no webhook.
    virtual Result<std::optional<WebhookCursor>> webhook_cursor() = 0;
    /// The status each of `session_ids` was last seen in, for those watched.
    virtual Result<std::vector<std::pair<std::int64_t, domain::SessionStatus>>>
    watched_sessions(const std::vector<std::int64_t>& session_ids) = 0;
    /// Whether a session with an id in (`after_id`, `through_id`] changed after usn `after_usn` and is not watched:
    /// one a step that stopped at `after_usn` has not seen yet.
    virtual Result<bool> unseen_session_between(std::int64_t after_id, std::int64_t through_id,
                                                std::int64_t after_usn) = 0;
    /// Stores a step through the change feed, and forgets the final sessions at or below its new
    /// `seen_session_id`; false (nothing stored) when the cursor is no longer `step.from`.
    /// Acknowledged before it is on disk: a crash of the machine may lose it (never a later synced write), and the
    /// step is then taken again from the change feed.
    virtual Result<bool> record_webhook_dispatch(const WebhookDispatch& step) = 0;

    /// At most `limit` events after `after_id`, oldest first, without their payloads.
    virtual Result<std::vector<domain::WebhookEventRecord>> events_after(std::int64_t after_id, std::int64_t limit) = 0;
    /// Makes `events` (in order) into pending deliveries of webhook `webhook_id` made at `now`, and moves its
    /// `queued_through` from `from` to `through`; false (nothing stored) when it is no longer `from`.
    /// Acknowledged before it is on disk, like a step.
    virtual Result<bool> queue_deliveries(const std::string& webhook_id, std::int64_t from, std::int64_t through,
                                          const std::vector<QueuedEvent>& events, util::Micros now) = 0;

    /// Pending deliveries of a webhook due at `now`, each the oldest pending one of its session (so that a
    /// session's events arrive in order), at most `limit`, the longest waiting first.
    virtual Result<std::vector<domain::WebhookDelivery>> due_deliveries(const std::string& webhook_id, util::Micros now,
                                                                        std::int64_t limit) = 0;
    /// When a webhook's next pending delivery is due; none when none is pending.
    virtual Result<std::optional<util::Micros>> next_delivery_time(const std::string& webhook_id) = 0;
    /// Records an attempt and where its delivery stands after it (`next_attempt_at` for a pending one, which the
    /// later pending deliveries of its webhook and session wait for too; so does one made meanwhile).
    virtual Result<void> record_delivery_attempt(const domain::DeliveryAttempt& attempt, domain::DeliveryState state,
                                                 std::optional<util::Micros> next_attempt_at) = 0;
    /// A page of a webhook's deliveries, newest first; NotFound when there is no such webhook.
    virtual Result<DeliveryPage> list_deliveries(const std::string& webhook_id, std::int64_t offset,
                                                 std::int64_t limit) = 0;
    /// Deletes delivered and failed deliveries made before `before`, with their attempts, and the events before
    /// it that every webhook has queued and no delivery needs; how many deliveries went.
    virtual Result<std::int64_t> delete_old_deliveries(util::Micros before) = 0;

protected:
    WebhookStore() = default;
};

} // namespace jobsessions::store
