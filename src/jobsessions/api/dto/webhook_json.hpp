// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/base_url.hpp"
#include "jobsessions/api/json_input.hpp"
#include "jobsessions/domain/webhook.hpp"
#include "jobsessions/store/webhook_store.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace jobsessions::api::dto {

/// A webhook as the API shows it, with `_links` to itself and its deliveries; `secret` only when it holds one
/// (the answer that created or replaced it).
std::string webhook_json(const domain::Webhook& webhook, const BaseUrl& base);

/// `{"totalCount":n,"results":[...]}` of webhooks.
std::string webhooks_json(const std::vector<domain::Webhook>& webhooks, const BaseUrl& base);

/// A page of deliveries, newest first, each with its attempts.
std::string deliveries_json(const store::DeliveryPage& page);

/// A webhook definition from a request body: absent members take their defaults; `id`, `createdAt`, `usn` and
/// `_links` are ignored. Bad members are recorded in the reader's errors.
domain::Webhook read_webhook(FieldReader& reader, const boost::json::object& body);

/// The body of a delivery: `{"type":EVENT,"timestamp":TIME,"data":SESSION}`, the session as GET shows it, with
/// its links under `base` when there is one (the server's public URL), else without links.
std::string webhook_payload(domain::WebhookEvent event, util::Micros time, const domain::JobSession& session,
                            const std::optional<BaseUrl>& base);

} // namespace jobsessions::api::dto
