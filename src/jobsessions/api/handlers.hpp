// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"

namespace jobsessions::api {

// One handler per endpoint; each lives in the file named after it and is listed once in routes.cpp.

/// POST /api/oauth2/token (token_endpoint.cpp)
void issue_token(Context& ctx);
/// DELETE /api/oauth2/token (token_endpoint.cpp)
void revoke_token(Context& ctx);
/// GET /api/v1/jobSessions/{id} (session_get.cpp)
void get_session(Context& ctx);
/// POST /api/v1/jobSessions (session_create.cpp)
void create_session(Context& ctx);
/// PATCH /api/v1/jobSessions/{id} (session_update.cpp)
void update_session(Context& ctx);
/// GET /api/v1/jobSessions/{id}/log (session_log.cpp)
void get_session_log(Context& ctx);
/// What a page of a log costs: nothing on the I/O thread when the store's lookups wait on its event loop.
store::ReadCost get_session_log_read_cost(http::Request& request, const service::SessionService& sessions);
/// POST /api/v1/jobSessions/{id}/log (session_log_append.cpp)
void append_session_log(Context& ctx);
/// GET /api/v1/jobSessions (sessions_list.cpp)
void list_sessions(Context& ctx);
/// What a GET by id costs: nothing on the I/O thread when the store's lookups wait on its event loop.
store::ReadCost get_session_read_cost(http::Request& request, const service::SessionService& sessions);
/// What a list costs, from its parsed filter (kept in the request for the handler, which then parses nothing again).
store::ReadCost list_sessions_read_cost(http::Request& request, const service::SessionService& sessions);
/// POST /api/v1/jobSessions/{id}/stop (session_stop.cpp)
void stop_session(Context& ctx);
/// GET /api/v1/jobSessions/changes (sessions_changes.cpp)
void list_changes(Context& ctx);
/// GET /api/v1/jobSessions/summary (sessions_summary.cpp)
void summarize_sessions(Context& ctx);
/// POST /api/v1/jobSessions/export (sessions_export.cpp)
void export_sessions(Context& ctx);
/// GET /api/v1/system/about (system_about.cpp)
void get_about(Context& ctx);
/// GET /health/ready: whether this server can serve (its store answers), for load balancers and orchestrators.
void get_readiness(Context& ctx);
/// GET /metrics: every metric in Prometheus' text format.
void get_metrics(Context& ctx);
/// GET /api/v1/openapi.json: the OpenAPI document of every route (docs/openapi.json, built in).
void get_openapi(Context& ctx);
/// GET /api/v1/policies (policies_list.cpp)
void list_policies(Context& ctx);
/// GET /api/v1/policies/{id} (policy_get.cpp)
void get_policy(Context& ctx);
/// POST /api/v1/policies (policy_create.cpp)
void create_policy(Context& ctx);
/// PUT /api/v1/policies/{id} (policy_update.cpp)
void update_policy(Context& ctx);
/// DELETE /api/v1/policies/{id} (policy_delete.cpp)
void delete_policy(Context& ctx);
/// POST /api/v1/policies/{id}/start (policy_start.cpp)
void start_policy(Context& ctx);

/// GET /api/v1/webhooks (webhooks_list.cpp)
void list_webhooks(Context& ctx);
/// GET /api/v1/webhooks/{id} (webhook_get.cpp)
void get_webhook(Context& ctx);
/// POST /api/v1/webhooks (webhook_create.cpp)
void create_webhook(Context& ctx);
/// PUT /api/v1/webhooks/{id} (webhook_update.cpp)
void update_webhook(Context& ctx);
/// DELETE /api/v1/webhooks/{id} (webhook_delete.cpp)
void delete_webhook(Context& ctx);
/// GET /api/v1/webhooks/{id}/deliveries (webhook_deliveries.cpp)
void list_webhook_deliveries(Context& ctx);

/// Parses a session id from the path: decimal digits only; anything else is a 404 for that id.
std::int64_t session_id_from_path(const Context& ctx);

/// A policy definition from the request body, checked whole: every bad member gives a 400 naming it (thrown).
domain::Policy policy_from_body(const Context& ctx);

/// A webhook definition from the request body, checked whole: every bad member gives a 400 naming it (thrown).
domain::Webhook webhook_from_body(const Context& ctx);

/// Turns a failed use case into the matching ApiError (thrown).
[[noreturn]] void throw_domain_error(const service::DomainError& error);

} // namespace jobsessions::api
