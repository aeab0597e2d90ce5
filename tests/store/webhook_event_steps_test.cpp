// SPDX-License-Identifier: Apache-2.0
// The SQLite store keeps the events of a step of the webhook job in one packed row: what is packed reads back the
// same, and a store of schema version 9 (a row per event) is upgraded with its events, deliveries and ids intact.
#include "jobsessions/store/migrations/sqlite_migrations.hpp"
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/sqlite/event_steps.hpp"
#include "jobsessions/store/sqlite/sqlite_store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jobsessions::store {
namespace {

using domain::SessionStatus;
using domain::SessionType;
using domain::WebhookEvent;

constexpr util::Micros kNow = 1'767'225'600'000'000; // 2026-01-01T00:00:00Z

domain::WebhookEventRecord record(std::int64_t session_id, WebhookEvent event, domain::EventSubject subject,
                                  std::string payload, util::Micros created_at)
{
    domain::WebhookEventRecord e;
    e.session_id = session_id;
    e.event = event;
    e.subject = std::move(subject);
    e.payload = std::move(payload);
    e.created_at = created_at;
    return e;
}

std::vector<domain::WebhookEventRecord> some_events()
{
    std::vector<domain::WebhookEventRecord> events;
    events.push_back(record(7, WebhookEvent::SessionStarted,
                            {SessionType::PolicyBackup, SessionStatus::Running, std::string("p-1")},
                            R"({"type":"sessionStarted","data":{"name":"ünï\ncode"}})", kNow));
    events.push_back(record(7, WebhookEvent::SessionFinished,
                            {SessionType::PolicyBackup, SessionStatus::Error, std::string("p\"2")}, "", kNow + 1));
    events.push_back(record(9, WebhookEvent::SessionStatusChanged,
                            {SessionType::BackupRetention, SessionStatus::Warning, std::nullopt},
                            std::string(5000, 'x'), kNow + 2));
    return events;
}

TEST(WebhookEventSteps, WhatIsPackedReadsBackTheSameWithIdsFromTheFirst)
{
    const auto events = some_events();
    const auto packed = sqlite::pack_event_step(events);
    EXPECT_LT(packed.size(), 1000U) << "the bodies are deflated";
    const auto read = sqlite::unpack_event_step(packed, true, 41);
    ASSERT_TRUE(read) << read.error().message;
    ASSERT_EQ(read->size(), events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ((*read)[i].id, 41 + static_cast<std::int64_t>(i));
        EXPECT_EQ((*read)[i].session_id, events[i].session_id);
        EXPECT_EQ((*read)[i].event, events[i].event);
        EXPECT_EQ((*read)[i].subject.type, events[i].subject.type);
        EXPECT_EQ((*read)[i].subject.status, events[i].subject.status);
        EXPECT_EQ((*read)[i].subject.policy_id, events[i].subject.policy_id);
        EXPECT_EQ((*read)[i].payload, events[i].payload);
        EXPECT_EQ((*read)[i].created_at, events[i].created_at);
    }
}

TEST(WebhookEventSteps, WhatIsNotAStepIsCorruptNotACrash)
{
    const auto packed = sqlite::pack_event_step(some_events());
    for (const std::string& bad : {std::string(), std::string("\x01\x00"), packed.substr(0, packed.size() / 2),
                                   std::string("\xff\xff\xff\x7f", 4) + packed.substr(4)}) {
        const auto read = sqlite::unpack_event_step(bad, true, 1);
        ASSERT_FALSE(read);
        EXPECT_EQ(read.error().code, StoreErrc::Corrupt);
    }
    for (const char* bad : {"", "[]", "[[7]]\n",
                            R"([[7,"sessionStarted","PolicyBackup","Running",null,1,5]])"
                            "\nabc",
                            R"([[7,"nope","PolicyBackup","Running",null,1,0]])"
                            "\n",
                            "[]\nleft over"}) {
        const auto read = sqlite::unpack_event_step(bad, false, 1);
        ASSERT_FALSE(read) << bad;
        EXPECT_EQ(read.error().code, StoreErrc::Corrupt);
    }
    const auto empty = sqlite::unpack_event_step("[]\n", false, 1);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

// A store at schema version 9, as the server of that version left it: a webhook queued through event 2 of three,
// a delivery delivered (with its attempt) and one pending, and a fourth event deleted after its delivery was, so
// that the highest ids ever given are above the highest kept.
void make_version_9_store(const std::string& path)
{
    auto opened = sqlite::Connection::open(path, true);
    ASSERT_TRUE(opened);
    auto& db = **opened;
    for (const auto& m : migrations::sqlite_migrations()) {
        if (m.version <= 9) {
            ASSERT_TRUE(db.exec(m.sql)) << m.name;
        }
    }
    ASSERT_TRUE(db.exec(R"sql(
PRAGMA user_version = 9;
INSERT INTO webhooks (id, url, description, events, types, statuses, policy_ids, secret, enabled, usn, created_at,
    queued_through) VALUES ('w-1', 'https://hooks.example.com/', '', '["sessionFinished"]', '[]', '[]', '[]',
    'whsec_c2VjcmV0', 1, 1, 1767225600000000, 2);
INSERT INTO webhook_cursor (id, after_usn, seen_session_id) VALUES (1, 10, 9);
INSERT INTO webhook_events (id, session_id, event, session_type, session_status, policy_id, payload, created_at)
    VALUES (1, 7, 'sessionStarted', 'PolicyBackup', 'Running', 'p-1', '{"a":"ünï"}', 1767225600000000),
           (2, 7, 'sessionFinished', 'PolicyBackup', 'Success', 'p-1', '{"b":2}', 1767225600000001),
           (3, 8, 'sessionFinished', 'BackupRetention', 'Error', NULL, '{"c":3}', 1767225600000002),
           (4, 8, 'sessionFinished', 'BackupRetention', 'Error', NULL, '{"d":4}', 1767225600000003);
INSERT INTO webhook_deliveries (id, webhook_id, event_id, session_id, created_at, state, attempts, next_attempt_at)
    VALUES (1, 'w-1', 1, 7, 1767225600000000, 'delivered', 1, NULL),
           (2, 'w-1', 2, 7, 1767225600000000, 'pending', 1, 1767225600000000),
           (3, 'w-1', 4, 8, 1767225600000000, 'delivered', 1, NULL);
INSERT INTO webhook_attempts (delivery_id, number, time, status_code, error, duration_ms)
    VALUES (1, 1, 1767225600000000, 200, '', 4), (2, 1, 1767225600000000, 503, 'answered 503', 9);
DELETE FROM webhook_deliveries WHERE id = 3;
DELETE FROM webhook_events WHERE id = 4;
)sql"));
}

TEST(WebhookEventSteps, AStoreOfVersion9KeepsItsEventsDeliveriesAndIds)
{
    test::TempDir dir;
    const auto path = dir.file("jobsessions.db");
    make_version_9_store(path);
    auto opened = sqlite::SqliteStore::open(path);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& store = **opened;

    const auto events = store.events_after(0, 10);
    ASSERT_TRUE(events) << events.error().message;
    ASSERT_EQ(events->size(), 3U);
    EXPECT_EQ((*events)[0].id, 1);
    EXPECT_EQ((*events)[0].event, WebhookEvent::SessionStarted);
    EXPECT_EQ((*events)[0].subject.policy_id, "p-1");
    EXPECT_EQ((*events)[2].id, 3);
    EXPECT_EQ((*events)[2].subject.type, SessionType::BackupRetention);
    EXPECT_EQ((*events)[2].subject.status, SessionStatus::Error);
    EXPECT_FALSE((*events)[2].subject.policy_id);
    EXPECT_EQ(store.events_after(2, 10)->size(), 1U);

    const auto due = store.due_deliveries("w-1", kNow, 10);
    ASSERT_TRUE(due) << due.error().message;
    ASSERT_EQ(due->size(), 1U);
    EXPECT_EQ((*due)[0].id, 2);
    EXPECT_EQ((*due)[0].event, WebhookEvent::SessionFinished);
    EXPECT_EQ((*due)[0].payload, R"({"b":2})");
    const auto page = store.list_deliveries("w-1", 0, 10);
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->deliveries.size(), 2U);
    EXPECT_EQ(page->deliveries[1].payload, R"({"a":"ünï"})");
    ASSERT_EQ(page->attempts[0].size(), 1U);
    EXPECT_EQ(page->attempts[0][0].error, "answered 503");

    // A new step's events and a new delivery take ids above every one given before the upgrade.
    WebhookDispatch step;
    step.from = {10, 9};
    step.to = {11, 9};
    step.events.push_back(record(9, WebhookEvent::SessionFinished,
                                 {SessionType::PolicyBackup, SessionStatus::Success, std::nullopt}, R"({"e":5})",
                                 kNow + 5));
    ASSERT_TRUE(*store.record_webhook_dispatch(step));
    const auto after = store.events_after(3, 10);
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 1U);
    EXPECT_EQ((*after)[0].id, 5);
    ASSERT_TRUE(*store.queue_deliveries("w-1", 2, 5, {{3, 8}, {5, 9}}, kNow));
    const auto queued = store.list_deliveries("w-1", 0, 10);
    ASSERT_TRUE(queued) << queued.error().message;
    ASSERT_EQ(queued->deliveries.size(), 4U);
    EXPECT_EQ(queued->deliveries[0].id, 5) << "delivery 3 was given before the upgrade";
    EXPECT_EQ(queued->deliveries[0].payload, R"({"e":5})");
    EXPECT_EQ(queued->deliveries[1].payload, R"({"c":3})");

    // Once every delivery is done and old, the steps no webhook needs go.
    for (const auto& d : queued->deliveries) {
        if (d.state == domain::DeliveryState::Pending) {
            ASSERT_TRUE(store.record_delivery_attempt({d.id, d.attempts + 1, kNow, 200, "", 1},
                                                      domain::DeliveryState::Delivered, std::nullopt));
        }
    }
    EXPECT_EQ(*store.delete_old_deliveries(kNow + 10), 4);
    EXPECT_TRUE(store.events_after(0, 10)->empty());
    // Ids still go on from the highest given.
    step.from = step.to;
    step.to = {12, 9};
    ASSERT_TRUE(*store.record_webhook_dispatch(step));
    EXPECT_EQ(store.events_after(0, 10)->at(0).id, 6);
}

} // namespace
} // namespace jobsessions::store
