// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/webhook.hpp"

#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <array>

namespace jobsessions::domain {
namespace {

constexpr std::array kEvents{WebhookEvent::SessionStarted, WebhookEvent::SessionFinished,
                             WebhookEvent::SessionStatusChanged, WebhookEvent::PolicyRunMissed};
constexpr std::array<std::string_view, kEvents.size()> kEventNames{"sessionStarted", "sessionFinished",
                                                                   "sessionStatusChanged", "policyRunMissed"};

template <class T> bool allows(const std::vector<T>& wanted, const T& value)
{
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

} // namespace

std::string_view to_string(WebhookEvent event) noexcept
{
    return kEventNames.at(static_cast<std::size_t>(event));
}

std::optional<WebhookEvent> parse_webhook_event(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < kEventNames.size(); ++i) {
        if (util::iequals(kEventNames[i], text)) {
            return kEvents[i];
        }
    }
    return std::nullopt;
}

std::span<const WebhookEvent> all_webhook_events() noexcept
{
    return kEvents;
}

std::string webhook_event_names()
{
    std::string names;
    for (const auto name : kEventNames) {
        if (!names.empty()) {
            names += ", ";
        }
        names += name;
    }
    return names;
}

EventSubject subject_of(const JobSession& session)
{
    EventSubject subject{session.type, session.status, std::nullopt};
    if (session.backup_info) {
        subject.policy_id = session.backup_info->policy_id;
    }
    return subject;
}

bool wants(const Webhook& hook, WebhookEvent event, const EventSubject& subject)
{
    if (!hook.enabled || std::find(hook.events.begin(), hook.events.end(), event) == hook.events.end()) {
        return false;
    }
    if (!allows(hook.types, subject.type) || !allows(hook.statuses, subject.status)) {
        return false;
    }
    if (hook.policy_ids.empty()) {
        return true;
    }
    return subject.policy_id && allows(hook.policy_ids, *subject.policy_id);
}

std::vector<WebhookEvent> session_events(std::optional<SessionStatus> before, const JobSession& now)
{
    std::vector<WebhookEvent> events;
    if (!before) {
        if (now.status == SessionStatus::NeverExecuted) {
            if (now.backup_info) {
                events.push_back(WebhookEvent::PolicyRunMissed);
            }
        } else {
            events.push_back(WebhookEvent::SessionStarted);
        }
        if (is_final(now.status)) {
            events.push_back(WebhookEvent::SessionFinished);
        }
        return events;
    }
    if (is_final(*before) || *before == now.status) {
        return events;
    }
    events.push_back(WebhookEvent::SessionStatusChanged);
    if (is_final(now.status)) {
        events.push_back(WebhookEvent::SessionFinished);
    }
    return events;
}

std::string_view to_string(DeliveryState state) noexcept
{
    switch (state) {
    case DeliveryState::Pending:
        return "pending";
    case DeliveryState::Delivered:
        return "delivered";
    case DeliveryState::Failed:
        return "failed";
    }
    return "pending";
}

} // namespace jobsessions::domain
