// SPDX-License-Identifier: Apache-2.0
// The store contract for webhooks, the cursor through the change feed and the deliveries' outbox, on every backend.
#include "store/store_contract.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace jobsessions::store {
namespace {

using domain::DeliveryState;
using domain::SessionStatus;
using domain::WebhookEvent;

constexpr util::Micros kNow = 1'767'225'600'000'000; // 2026-01-01T00:00:00Z

domain::Webhook webhook(const std::string& id)
{
    domain::Webhook w;
    w.id = id;
    w.url = "https://hooks.example.com/ünïcode?x=1";
    w.description = "failures";
    w.events = {WebhookEvent::SessionFinished, WebhookEvent::PolicyRunMissed};
    w.types = {domain::SessionType::PolicyBackup};
    w.statuses = {SessionStatus::Error, SessionStatus::Warning};
    w.policy_ids = {"p-1", "p\"2"};
    w.secret = "whsec_c2VjcmV0";
    w.created_at = kNow;
    return w;
}

domain::WebhookEventRecord event(std::int64_t session_id, WebhookEvent kind, std::string payload,
                                 std::optional<std::string> policy_id = std::nullopt)
{
    return {0,
            session_id,
            kind,
            {domain::SessionType::PolicyBackup, SessionStatus::Error, std::move(policy_id)},
            std::move(payload),
            kNow};
}

/// Every event after `after`, to be queued.
std::vector<QueuedEvent> events_to_queue(Store& store, std::int64_t after)
{
    std::vector<QueuedEvent> events;
    for (const auto& e : *store.events_after(after, 1000)) {
        events.push_back({e.id, e.session_id});
    }
    return events;
}

using WebhookContract = StoreContractTest;

TEST_P(WebhookContract, WebhooksAreStoredReplacedAndDeleted)
{
    const auto created = store_->create_webhook(webhook("w-1"));
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_GT(created->usn, 0);
    auto read = store_->get_webhook("w-1");
    ASSERT_TRUE(read);
    EXPECT_EQ(read->url, "https://hooks.example.com/ünïcode?x=1");
    EXPECT_EQ(read->events, created->events);
    EXPECT_EQ(read->types, created->types);
    EXPECT_EQ(read->statuses, created->statuses);
    EXPECT_EQ(read->policy_ids, created->policy_ids);
    EXPECT_EQ(read->secret, "whsec_c2VjcmV0");
    EXPECT_TRUE(read->enabled);
    EXPECT_EQ(read->created_at, kNow);

    auto changed = *read;
    changed.url = "https://other.example.com/";
    changed.events = {WebhookEvent::SessionStarted};
    changed.types.clear();
    const auto updated = store_->update_webhook(changed);
    ASSERT_TRUE(updated);
    EXPECT_GT(updated->usn, created->usn);
    EXPECT_EQ(store_->get_webhook("w-1")->url, "https://other.example.com/");
    EXPECT_TRUE(store_->get_webhook("w-1")->types.empty());

    ASSERT_TRUE(store_->create_webhook(webhook("w-2")));
    ASSERT_EQ(store_->list_webhooks()->size(), 2U);
    ASSERT_TRUE(store_->delete_webhook("w-1"));
    EXPECT_EQ(store_->get_webhook("w-1").error().code, StoreErrc::NotFound);
    EXPECT_EQ(store_->delete_webhook("w-1").error().code, StoreErrc::NotFound);
    EXPECT_EQ(store_->update_webhook(changed).error().code, StoreErrc::NotFound);
    EXPECT_EQ(store_->list_webhooks()->size(), 1U);
}

TEST_P(WebhookContract, TheFirstWebhookStartsTheCursorAndTheLastStopsIt)
{
    EXPECT_FALSE(*store_->webhook_cursor());
    const auto running = store_->create_session(StoreContractTest::running(), nullptr);
    auto finished_input = StoreContractTest::running();
    finished_input.status = SessionStatus::Success;
    finished_input.stop_time = finished_input.start_time + 1;
    const auto finished = store_->create_session(finished_input, nullptr);
    ASSERT_TRUE(running && finished);

    ASSERT_TRUE(store_->create_webhook(webhook("w-1")));
    const auto cursor = *store_->webhook_cursor();
    ASSERT_TRUE(cursor);
    EXPECT_EQ(cursor->after_usn, finished->usn);
    EXPECT_EQ(cursor->seen_session_id, finished->id);
    // The sessions not final are watched in their status; the final ones never change again.
    const auto watched = *store_->watched_sessions({running->id, finished->id});
    ASSERT_EQ(watched.size(), 1U);
    EXPECT_EQ(watched[0].first, running->id);
    EXPECT_EQ(watched[0].second, SessionStatus::Running);

    ASSERT_TRUE(store_->create_webhook(webhook("w-2")));
    EXPECT_EQ(*store_->webhook_cursor(), cursor); // a second webhook leaves it where it is
    ASSERT_TRUE(store_->delete_webhook("w-1"));
    EXPECT_TRUE(*store_->webhook_cursor());
    ASSERT_TRUE(store_->delete_webhook("w-2"));
    EXPECT_FALSE(*store_->webhook_cursor());
    EXPECT_TRUE(store_->watched_sessions({running->id})->empty());
}

TEST_P(WebhookContract, UnseenSessionsAreThoseChangedAfterAUsnAndNotWatched)
{
    ASSERT_TRUE(store_->create_webhook(webhook("w-1")));
    const auto a = *store_->create_session(StoreContractTest::running(), nullptr);
    const auto b = *store_->create_session(StoreContractTest::running(), nullptr);
    EXPECT_TRUE(*store_->unseen_session_between(0, b.id, b.usn - 1)); // b changed after b.usn - 1
    EXPECT_FALSE(*store_->unseen_session_between(0, b.id, b.usn));
    EXPECT_FALSE(*store_->unseen_session_between(a.id, b.id, b.usn));
    EXPECT_TRUE(*store_->unseen_session_between(0, a.id, 0));
    // A watched session was seen.
    const auto from = **store_->webhook_cursor();
    WebhookDispatch step{from, {b.usn, from.seen_session_id}, {}, {{a.id, SessionStatus::Running}}};
    ASSERT_TRUE(*store_->record_webhook_dispatch(step));
    EXPECT_FALSE(*store_->unseen_session_between(0, a.id, 0));
    EXPECT_TRUE(*store_->unseen_session_between(0, b.id, 0));
}

TEST_P(WebhookContract, AStepIsRecordedWholeOnlyFromTheCursorItStartedFrom)
{
    ASSERT_TRUE(store_->create_webhook(webhook("w-1")));
    const auto from = **store_->webhook_cursor();
    WebhookDispatch step;
    step.from = from;
    step.to = {from.after_usn + 5, 7};
    step.events = {event(7, WebhookEvent::SessionStarted, R"({"type":"sessionStarted"})"),
                   event(7, WebhookEvent::SessionFinished, R"({"type":"sessionFinished","q":"\"é"})", "p\"2")};
    step.watched = {{7, SessionStatus::Success}, {8, SessionStatus::Running}, {100, SessionStatus::Error}};
    ASSERT_TRUE(*store_->record_webhook_dispatch(step));
    EXPECT_EQ(**store_->webhook_cursor(), step.to);
    // Final sessions at or below the seen id are forgotten; others are kept.
    auto watched = *store_->watched_sessions({7, 8, 100});
    std::sort(watched.begin(), watched.end());
    ASSERT_EQ(watched.size(), 2U);
    EXPECT_EQ(watched[0], (std::pair<std::int64_t, SessionStatus>{8, SessionStatus::Running}));
    EXPECT_EQ(watched[1], (std::pair<std::int64_t, SessionStatus>{100, SessionStatus::Error}));

    // The same step again: the cursor moved, so nothing is stored.
    EXPECT_FALSE(*store_->record_webhook_dispatch(step));
    const auto events = *store_->events_after(0, 10);
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[1].event, WebhookEvent::SessionFinished);
    EXPECT_EQ(events[1].session_id, 7);
    EXPECT_EQ(events[1].subject.status, SessionStatus::Error);
    EXPECT_EQ(events[1].subject.policy_id, "p\"2");
    EXPECT_FALSE(events[0].subject.policy_id);
    EXPECT_EQ(events[1].created_at, kNow);
    EXPECT_TRUE(store_->events_after(events[1].id, 10)->empty());

    // The webhook makes them deliveries of its own, once.
    const auto hook = *store_->get_webhook("w-1");
    EXPECT_EQ(hook.queued_through, 0);
    const std::vector<QueuedEvent> both{{events[0].id, events[0].session_id}, {events[1].id, events[1].session_id}};
    ASSERT_TRUE(*store_->queue_deliveries("w-1", 0, events[1].id, both, kNow));
    EXPECT_FALSE(*store_->queue_deliveries("w-1", 0, events[1].id, both, kNow));
    EXPECT_EQ(store_->get_webhook("w-1")->queued_through, events[1].id);
    // A webhook made now starts after them.
    ASSERT_TRUE(store_->create_webhook(webhook("w-2")));
    EXPECT_EQ(store_->get_webhook("w-2")->queued_through, events[1].id);
    const auto page = *store_->list_deliveries("w-1", 0, 10);
    ASSERT_EQ(page.total_count, 2);
    EXPECT_EQ(page.deliveries[0].event, WebhookEvent::SessionFinished); // newest first
    EXPECT_EQ(page.deliveries[0].payload, R"({"type":"sessionFinished","q":"\"é"})");
    EXPECT_EQ(page.deliveries[0].state, DeliveryState::Pending);
    EXPECT_EQ(page.deliveries[0].next_attempt_at, kNow);
    EXPECT_LT(page.deliveries[1].id, page.deliveries[0].id);
}

TEST_P(WebhookContract, DueDeliveriesComeOnePerSessionInOrderAndAttemptsAreKept)
{
    ASSERT_TRUE(store_->create_webhook(webhook("w-1")));
    const auto from = **store_->webhook_cursor();
    WebhookDispatch step;
    step.from = from;
    step.to = {from.after_usn + 1, from.seen_session_id};
    step.events = {event(7, WebhookEvent::SessionStarted, "a"), event(8, WebhookEvent::SessionStarted, "b"),
                   event(7, WebhookEvent::SessionFinished, "c")};
    ASSERT_TRUE(*store_->record_webhook_dispatch(step));
    const auto queued = events_to_queue(*store_, 0);
    ASSERT_TRUE(*store_->queue_deliveries("w-1", 0, queued.back().event_id, queued, kNow));

    auto due = *store_->due_deliveries("w-1", kNow, 10);
    ASSERT_EQ(due.size(), 2U); // "c" waits for "a", of the same session
    EXPECT_EQ(due[0].payload, "a");
    EXPECT_EQ(due[1].payload, "b");
    EXPECT_TRUE(store_->due_deliveries("w-1", kNow - 1, 10)->empty());
    EXPECT_EQ(*store_->next_delivery_time("w-1"), kNow);

    // "a" fails and waits; "c" still waits behind it.
    domain::DeliveryAttempt failed{due[0].id, 1, kNow, 500, "answered 500", 12};
    ASSERT_TRUE(store_->record_delivery_attempt(failed, DeliveryState::Pending, kNow + 1000));
    due = *store_->due_deliveries("w-1", kNow + 10, 10);
    ASSERT_EQ(due.size(), 1U);
    EXPECT_EQ(due[0].payload, "b");
    // "a" is accepted at its retry: then "c" is due.
    domain::DeliveryAttempt accepted{failed.delivery_id, 2, kNow + 1000, 200, "", 3};
    ASSERT_TRUE(store_->record_delivery_attempt(accepted, DeliveryState::Delivered, std::nullopt));
    due = *store_->due_deliveries("w-1", kNow + 1000, 10);
    ASSERT_EQ(due.size(), 2U);
    EXPECT_EQ(due[0].payload, "b");
    EXPECT_EQ(due[1].payload, "c");

    const auto page = *store_->list_deliveries("w-1", 0, 10);
    const auto a =
        std::find_if(page.deliveries.begin(), page.deliveries.end(), [](const auto& d) { return d.payload == "a"; });
    ASSERT_NE(a, page.deliveries.end());
    EXPECT_EQ(a->state, DeliveryState::Delivered);
    EXPECT_EQ(a->attempts, 2);
    EXPECT_FALSE(a->next_attempt_at);
    const auto& attempts = page.attempts[static_cast<std::size_t>(a - page.deliveries.begin())];
    ASSERT_EQ(attempts.size(), 2U);
    EXPECT_EQ(attempts[0].status_code, 500);
    EXPECT_EQ(attempts[0].error, "answered 500");
    EXPECT_EQ(attempts[0].duration_ms, 12);
    EXPECT_EQ(attempts[1].status_code, 200);
    EXPECT_EQ(attempts[1].time, kNow + 1000);

    // Disabling the webhook gives its pending deliveries up.
    auto disabled = *store_->get_webhook("w-1");
    disabled.enabled = false;
    ASSERT_TRUE(store_->update_webhook(disabled));
    EXPECT_TRUE(store_->due_deliveries("w-1", kNow + 1000, 10)->empty());
    EXPECT_FALSE(*store_->next_delivery_time("w-1"));

    // Old finished deliveries are deleted with their attempts; a deleted webhook's attempt is NotFound.
    EXPECT_EQ(*store_->delete_old_deliveries(kNow + 1), 3);
    EXPECT_EQ(store_->list_deliveries("w-1", 0, 10)->total_count, 0);
    EXPECT_EQ(store_->record_delivery_attempt(accepted, DeliveryState::Delivered, std::nullopt).error().code,
              StoreErrc::NotFound);
    EXPECT_EQ(store_->list_deliveries("nope", 0, 10).error().code, StoreErrc::NotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookContract, contract_backends(), backend_name);

} // namespace
} // namespace jobsessions::store
