// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/webhook_columns.hpp"

#include "jobsessions/store/policy_columns.hpp"

namespace jobsessions::store {
namespace {

template <class T> std::string encode_names(const std::vector<T>& values)
{
    std::vector<std::string> names;
    names.reserve(values.size());
    for (const auto value : values) {
        names.emplace_back(domain::to_string(value));
    }
    return encode_words(names);
}

template <class T, class Parse> std::optional<std::vector<T>> decode_names(std::string_view text, Parse&& parse)
{
    auto names = decode_words(text);
    if (!names) {
        return std::nullopt;
    }
    std::vector<T> values;
    values.reserve(names->size());
    for (const auto& name : *names) {
        const auto value = parse(name);
        if (!value) {
            return std::nullopt;
        }
        values.push_back(*value);
    }
    return values;
}

} // namespace

std::string encode_events(const std::vector<domain::WebhookEvent>& events)
{
    return encode_names(events);
}

std::string encode_types(const std::vector<domain::SessionType>& types)
{
    return encode_names(types);
}

std::string encode_statuses(const std::vector<domain::SessionStatus>& statuses)
{
    return encode_names(statuses);
}

std::optional<std::vector<domain::WebhookEvent>> decode_events(std::string_view text)
{
    return decode_names<domain::WebhookEvent>(text, [](std::string_view n) { return domain::parse_webhook_event(n); });
}

std::optional<std::vector<domain::SessionType>> decode_types(std::string_view text)
{
    return decode_names<domain::SessionType>(text, [](std::string_view n) { return domain::parse_session_type(n); });
}

std::optional<std::vector<domain::SessionStatus>> decode_statuses(std::string_view text)
{
    return decode_names<domain::SessionStatus>(text,
                                               [](std::string_view n) { return domain::parse_session_status(n); });
}

bool decode_webhook_lists(domain::Webhook& webhook, std::string_view events, std::string_view types,
                          std::string_view statuses, std::string_view policy_ids)
{
    auto decoded_events = decode_events(events);
    auto decoded_types = decode_types(types);
    auto decoded_statuses = decode_statuses(statuses);
    auto decoded_policies = decode_words(policy_ids);
    if (!decoded_events || !decoded_types || !decoded_statuses || !decoded_policies) {
        return false;
    }
    webhook.events = std::move(*decoded_events);
    webhook.types = std::move(*decoded_types);
    webhook.statuses = std::move(*decoded_statuses);
    webhook.policy_ids = std::move(*decoded_policies);
    return true;
}

std::optional<domain::DeliveryState> parse_delivery_state(std::string_view text) noexcept
{
    for (const auto state :
         {domain::DeliveryState::Pending, domain::DeliveryState::Delivered, domain::DeliveryState::Failed}) {
        if (domain::to_string(state) == text) {
            return state;
        }
    }
    return std::nullopt;
}

} // namespace jobsessions::store
