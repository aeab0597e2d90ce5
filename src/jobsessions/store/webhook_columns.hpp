// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/webhook.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::store {

/// How every backend stores a webhook's lists in text columns: JSON arrays of wire names (see policy_columns), so
/// that a store written by one backend reads the same in another.
std::string encode_events(const std::vector<domain::WebhookEvent>& events);
std::string encode_types(const std::vector<domain::SessionType>& types);
std::string encode_statuses(const std::vector<domain::SessionStatus>& statuses);

/// The same, read back; nullopt when the text is not what the encoder writes.
std::optional<std::vector<domain::WebhookEvent>> decode_events(std::string_view text);
std::optional<std::vector<domain::SessionType>> decode_types(std::string_view text);
std::optional<std::vector<domain::SessionStatus>> decode_statuses(std::string_view text);

/// Reads a webhook's list columns (events, types, statuses, policy ids) into `webhook`; false when one is not what
/// the encoders write.
bool decode_webhook_lists(domain::Webhook& webhook, std::string_view events, std::string_view types,
                          std::string_view statuses, std::string_view policy_ids);

/// A delivery state from its wire name; nullopt for anything else.
std::optional<domain::DeliveryState> parse_delivery_state(std::string_view text) noexcept;

} // namespace jobsessions::store
