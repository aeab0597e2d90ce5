// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/dto/policy_json.hpp"
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/json_input.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>
#include <stdexcept>

namespace jobsessions::api {

std::int64_t session_id_from_path(const Context& ctx)
{
    const std::string& text = ctx.request.path_parameter;
    // Decimal digits only: no sign, no spaces; anything else (or too large) names no session.
    const bool digits =
        !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const auto id = digits ? util::parse_int64(text) : std::nullopt;
    if (!id) {
        throw ApiError::not_found("Job session '" + text + "' was not found.");
    }
    return *id;
}

domain::Policy policy_from_body(const Context& ctx)
{
    const auto body = parse_json_object(ctx.request.body);
    ApiError errors = ApiError::validation();
    FieldReader reader(errors);
    auto policy = dto::read_policy(reader, body);
    if (FieldReader::find(body, "name") == nullptr) {
        reader.fail("name", "Is required.");
    }
    if (FieldReader::find(body, "command") == nullptr) {
        reader.fail("command", "Is required.");
    }
    if (!errors.has_errors()) {
        for (const auto& problem : service::PolicyService::problems(policy)) {
            reader.fail(problem.field, problem.message);
        }
    }
    if (errors.has_errors()) {
        throw errors;
    }
    return policy;
}

domain::Webhook webhook_from_body(const Context& ctx)
{
    const auto body = parse_json_object(ctx.request.body);
    ApiError errors = ApiError::validation();
    FieldReader reader(errors);
    auto webhook = dto::read_webhook(reader, body);
    if (FieldReader::find(body, "url") == nullptr) {
        reader.fail("url", "Is required: the http or https URL the events are posted to.");
    }
    if (FieldReader::find(body, "events") == nullptr) {
        reader.fail("events", "Is required: name at least one of " + domain::webhook_event_names() + ".");
    }
    if (!errors.has_errors()) {
        for (const auto& problem : ctx.webhooks().problems(webhook)) {
            reader.fail(problem.field, problem.message);
        }
    }
    if (errors.has_errors()) {
        throw errors;
    }
    return webhook;
}

void throw_domain_error(const service::DomainError& error)
{
    switch (error.code) {
    case service::DomainErrc::NotFound:
        throw ApiError::not_found(error.message);
    case service::DomainErrc::Conflict:
    case service::DomainErrc::IdempotencyRace:
        throw ApiError::conflict(error.message);
    case service::DomainErrc::Invalid:
        throw ApiError::bad_request(error.field, error.message);
    case service::DomainErrc::Unauthorized:
        throw ApiError::with_status(401, error.message);
    case service::DomainErrc::Throttled:
        throw ApiError::with_status(429, error.message);
    case service::DomainErrc::Unavailable: {
        ApiError e = ApiError::with_status(503, error.message);
        e.internal = error.internal;
        throw e;
    }
    case service::DomainErrc::Internal:
        throw std::runtime_error(error.internal);
    }
    throw ApiError::with_status(500, "");
}

} // namespace jobsessions::api
