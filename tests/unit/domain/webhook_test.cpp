// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/webhook.hpp"

#include <gtest/gtest.h>

namespace jobsessions::domain {
namespace {

using Events = std::vector<WebhookEvent>;

JobSession session(SessionStatus status, bool of_policy = true)
{
    JobSession s;
    s.id = 7;
    s.status = status;
    if (of_policy) {
        s.backup_info = BackupJobInfo{"p-1", "Nightly", 0, false};
    }
    return s;
}

TEST(WebhookEvents, ASessionSeenForTheFirstTimeHasStarted)
{
    EXPECT_EQ(session_events(std::nullopt, session(SessionStatus::Running)), Events{WebhookEvent::SessionStarted});
    // Already over when first seen (recorded after the fact, or started and ended between two looks).
    EXPECT_EQ(session_events(std::nullopt, session(SessionStatus::Error)),
              (Events{WebhookEvent::SessionStarted, WebhookEvent::SessionFinished}));
    // A policy's run recorded NeverExecuted never started: it was missed.
    EXPECT_EQ(session_events(std::nullopt, session(SessionStatus::NeverExecuted)),
              (Events{WebhookEvent::PolicyRunMissed, WebhookEvent::SessionFinished}));
    EXPECT_EQ(session_events(std::nullopt, session(SessionStatus::NeverExecuted, false)),
              Events{WebhookEvent::SessionFinished});
}

TEST(WebhookEvents, AStatusChangeIsToldOnceAndAFinalSessionHasNothingMoreToTell)
{
    EXPECT_EQ(session_events(SessionStatus::Running, session(SessionStatus::RunningWithWarning)),
              Events{WebhookEvent::SessionStatusChanged});
    EXPECT_EQ(session_events(SessionStatus::Running, session(SessionStatus::Success)),
              (Events{WebhookEvent::SessionStatusChanged, WebhookEvent::SessionFinished}));
    EXPECT_TRUE(session_events(SessionStatus::Running, session(SessionStatus::Running)).empty());
    EXPECT_TRUE(session_events(SessionStatus::Success, session(SessionStatus::Success)).empty());
}

TEST(WebhookEvents, AWebhookWantsTheEventsAndSessionsItsFiltersName)
{
    Webhook hook;
    hook.events = {WebhookEvent::SessionFinished};
    const auto failed = session(SessionStatus::Error);
    EXPECT_TRUE(wants(hook, WebhookEvent::SessionFinished, subject_of(failed)));
    EXPECT_FALSE(wants(hook, WebhookEvent::SessionStarted, subject_of(failed)));
    hook.statuses = {SessionStatus::Warning};
    EXPECT_FALSE(wants(hook, WebhookEvent::SessionFinished, subject_of(failed)));
    hook.statuses = {SessionStatus::Warning, SessionStatus::Error};
    hook.types = {SessionType::PolicySnapshot};
    EXPECT_FALSE(wants(hook, WebhookEvent::SessionFinished, subject_of(failed)));
    hook.types = {SessionType::PolicyBackup};
    hook.policy_ids = {"p-2"};
    EXPECT_FALSE(wants(hook, WebhookEvent::SessionFinished, subject_of(failed)));
    hook.policy_ids = {"p-2", "p-1"};
    EXPECT_TRUE(wants(hook, WebhookEvent::SessionFinished, subject_of(failed)));
    EXPECT_FALSE(wants(hook, WebhookEvent::SessionFinished, subject_of(session(SessionStatus::Error, false))));
    hook.enabled = false;
    EXPECT_FALSE(wants(hook, WebhookEvent::SessionFinished, subject_of(failed)));
}

TEST(WebhookEvents, NamesReadWithoutRegardToCase)
{
    for (const auto event : all_webhook_events()) {
        EXPECT_EQ(parse_webhook_event(to_string(event)), event);
    }
    EXPECT_EQ(parse_webhook_event("SESSIONFINISHED"), WebhookEvent::SessionFinished);
    EXPECT_FALSE(parse_webhook_event("sessionExploded"));
}

} // namespace
} // namespace jobsessions::domain
