// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::domain {

/// What a webhook can be told of. Enumerators are spelled like the wire values.
enum class WebhookEvent : std::uint8_t {
    /// A session was recorded (seen for the first time), unless it was recorded NeverExecuted.
    SessionStarted,
    /// A session reached a final status.
    SessionFinished,
    /// A session's status changed after it was first seen.
    SessionStatusChanged,
    /// A policy's scheduled run was recorded NeverExecuted (it overlapped a run still going, or was missed).
    PolicyRunMissed,
};

/// The wire name of an event (`sessionFinished`).
std::string_view to_string(WebhookEvent event) noexcept;
/// Parses an event name without regard to case.
std::optional<WebhookEvent> parse_webhook_event(std::string_view text) noexcept;
/// Every event, in declaration order.
std::span<const WebhookEvent> all_webhook_events() noexcept;
/// Every event's wire name, comma-separated, for error messages.
std::string webhook_event_names();

/// A receiver of events: where they are posted, which of them, and the key they are signed with.
struct Webhook {
    /// A random UUID, given at creation.
    std::string id;
    /// An absolute http or https URL.
    std::string url;
    std::string description;
    /// At least one.
    std::vector<WebhookEvent> events;
    /// Only sessions of these types (empty: any).
    std::vector<SessionType> types;
    /// Only sessions in these statuses, as they are when the event happens (empty: any).
    std::vector<SessionStatus> statuses;
    /// Only sessions of these policies (empty: any session, with a policy or not).
    std::vector<std::string> policy_ids;
    /// `whsec_` and the base64 of the signing key's bytes (Standard Webhooks); never shown after creation.
    std::string secret;
    bool enabled = true;
    std::int64_t usn = 0;
    util::Micros created_at = 0;
    /// The events up to this one (by id) were made into this webhook's deliveries, or passed over.
    std::int64_t queued_through = 0;
};

/// What an event tells of its session, for the filters.
struct EventSubject {
    SessionType type = SessionType::PolicyBackup;
    /// The status when the event happened.
    SessionStatus status = SessionStatus::Running;
    /// The session's policy, if it has one.
    std::optional<std::string> policy_id;
};

/// The subject of an event happening to `session` now.
EventSubject subject_of(const JobSession& session);

/// Whether `hook` wants to hear of `event` happening to `subject`.
bool wants(const Webhook& hook, WebhookEvent event, const EventSubject& subject);

/// Something that happened to a session, kept once for every webhook that wants it.
struct WebhookEventRecord {
    std::int64_t id = 0;
    std::int64_t session_id = 0;
    WebhookEvent event = WebhookEvent::SessionStarted;
    EventSubject subject;
    /// The JSON every delivery of it posts.
    std::string payload;
    util::Micros created_at = 0;
};

/// What happened to a session between two looks at it: `before` is its status at the last look, none when it
/// is seen for the first time. A session final at the last look never changes again and has nothing to tell.
std::vector<WebhookEvent> session_events(std::optional<SessionStatus> before, const JobSession& now);

/// Where a delivery stands.
enum class DeliveryState : std::uint8_t {
    /// Not yet accepted by the receiver; attempted again at its next attempt time.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed for a day, or its webhook was disabled: given up.
    Failed,
};

/// The wire name of a delivery state (`pending`).
std::string_view to_string(DeliveryState state) noexcept;

/// One event to post to one webhook, with the body it is posted with.
struct WebhookDelivery {
    /// Increasing in the order deliveries were made; the receiver sees it as `webhook-id`.
    std::int64_t id = 0;
    std::string webhook_id;
    WebhookEvent event = WebhookEvent::SessionStarted;
    std::int64_t session_id = 0;
    /// The JSON posted, the same at every attempt.
    std::string payload;
    util::Micros created_at = 0;
    DeliveryState state = DeliveryState::Pending;
    std::int64_t attempts = 0;
    /// When it is attempted next (pending only).
    std::optional<util::Micros> next_attempt_at;
};

/// One try to post a delivery.
struct DeliveryAttempt {
    std::int64_t delivery_id = 0;
    /// 1 for the first.
    std::int64_t number = 0;
    util::Micros time = 0;
    /// The receiver's HTTP status, if it answered.
    std::optional<std::int64_t> status_code;
    /// What went wrong (empty when it was delivered).
    std::string error;
    std::int64_t duration_ms = 0;
};

/// The limits of a webhook's definition.
inline constexpr std::size_t kMaxWebhookUrl = 2048;
inline constexpr std::size_t kMaxWebhookDescription = 500;
inline constexpr std::size_t kMaxWebhookPolicies = 100;

} // namespace jobsessions::domain
