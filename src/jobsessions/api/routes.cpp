// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/router.hpp"

namespace jobsessions::api {
namespace {

using boost::beast::http::verb;
using domain::Permission;

// THE routing table. A new endpoint is one handler file and one line here. Within a path, literal segments are
// listed before parameters, so `/jobSessions/changes` will never be taken for a session id.
const Route kRoutes[] = {
    {verb::post, "/api/oauth2/token", &issue_token, std::nullopt, Execution::Blocking, BodyKind::Form},
    {verb::delete_, "/api/oauth2/token", &revoke_token, Permission::Read, Execution::Blocking, BodyKind::None},
    {verb::get, "/api/v1/system/about", &get_about, std::nullopt, Execution::Inline, BodyKind::None},
    {verb::get, "/health/ready", &get_readiness, std::nullopt, Execution::Read, BodyKind::None, nullptr, {}, false},
    {verb::get,
     "/metrics",
     &get_metrics,
     Permission::ReadMetrics,
     Execution::Blocking,
     BodyKind::None,
     nullptr,
     {},
     false},
    {verb::get, "/api/v1/openapi.json", &get_openapi, std::nullopt, Execution::Inline, BodyKind::None},
    {verb::get, "/api/v1/jobSessions", &list_sessions, Permission::Read, Execution::Read, BodyKind::None,
     &list_sessions_read_cost},
    {verb::get, "/api/v1/jobSessions/changes", &list_changes, Permission::Read, Execution::Read, BodyKind::None},
    {verb::get, "/api/v1/jobSessions/summary", &summarize_sessions, Permission::Read, Execution::Blocking,
     BodyKind::None},
    {verb::post, "/api/v1/jobSessions/export", &export_sessions, Permission::Read, Execution::Blocking, BodyKind::None},
    {verb::get, "/api/v1/jobSessions/{id}", &get_session, Permission::Read, Execution::Read, BodyKind::None,
     &get_session_read_cost},
    {verb::patch, "/api/v1/jobSessions/{id}", &update_session, Permission::WriteSessions, Execution::Blocking,
     BodyKind::Json},
    {verb::post, "/api/v1/jobSessions", &create_session, Permission::WriteSessions, Execution::Blocking,
     BodyKind::Json},
    {verb::get, "/api/v1/jobSessions/{id}/log", &get_session_log, Permission::Read, Execution::Read, BodyKind::None,
     &get_session_log_read_cost},
    {verb::post, "/api/v1/jobSessions/{id}/stop", &stop_session, Permission::Operate, Execution::Blocking,
     BodyKind::None},
    {verb::post, "/api/v1/jobSessions/{id}/log", &append_session_log, Permission::WriteSessions, Execution::Blocking,
     BodyKind::Json},
    {verb::get, "/api/v1/policies", &list_policies, Permission::Read, Execution::Blocking, BodyKind::None},
    {verb::post, "/api/v1/policies", &create_policy, Permission::Administer, Execution::Blocking, BodyKind::Json},
    {verb::get, "/api/v1/policies/{id}", &get_policy, Permission::Read, Execution::Blocking, BodyKind::None},
    {verb::put, "/api/v1/policies/{id}", &update_policy, Permission::Administer, Execution::Blocking, BodyKind::Json},
    {verb::delete_, "/api/v1/policies/{id}", &delete_policy, Permission::Administer, Execution::Blocking,
     BodyKind::None},
    {verb::post, "/api/v1/policies/{id}/start", &start_policy, Permission::Operate, Execution::Blocking,
     BodyKind::None},
    {verb::get, "/api/v1/webhooks", &list_webhooks, Permission::Administer, Execution::Blocking, BodyKind::None},
    {verb::post, "/api/v1/webhooks", &create_webhook, Permission::Administer, Execution::Blocking, BodyKind::Json},
    {verb::get, "/api/v1/webhooks/{id}", &get_webhook, Permission::Administer, Execution::Blocking, BodyKind::None},
    {verb::put, "/api/v1/webhooks/{id}", &update_webhook, Permission::Administer, Execution::Blocking, BodyKind::Json},
    {verb::delete_, "/api/v1/webhooks/{id}", &delete_webhook, Permission::Administer, Execution::Blocking,
     BodyKind::None},
    {verb::get, "/api/v1/webhooks/{id}/deliveries", &list_webhook_deliveries, Permission::Administer,
     Execution::Blocking, BodyKind::None},
};

} // namespace

std::span<const Route> routes()
{
    return kRoutes;
}

} // namespace jobsessions::api
