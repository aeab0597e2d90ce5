// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/json_text.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/metrics/registry.hpp"

namespace jobsessions::api {

void get_about(Context& ctx)
{
    auto& out = ctx.response.body;
    ctx.response.content_type = kJson;
    out.append(R"({"serverVersion":)");
    dto::append_json_string(out, ctx.services.config.server_version);
    out.append(R"(,"apiVersions":["v1"],"productName":"jobsessions","serverTime":")");
    util::append_timestamp(out, ctx.services.clock.now());
    out.append(R"(","node":)");
    dto::append_json_string(out, ctx.services.config.node_name);
    out.append(R"(,"storage":)");
    dto::append_json_string(out, ctx.services.config.storage);
    out.push_back('}');
}

void get_readiness(Context& ctx)
{
    // Ready when the store answers a read now (nothing kept in memory stands in for it).
    auto usn = ctx.services.sessions.highest_usn();
    if (!usn) {
        throw_domain_error(usn.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body.append(R"({"status":"ready"})");
}

void get_metrics(Context& ctx)
{
    if (ctx.services.metrics == nullptr) {
        throw ApiError::not_found("No resource matches '" + std::string(ctx.path()) + "'.");
    }
    ctx.response.content_type = metrics::Registry::kContentType;
    ctx.response.body = ctx.services.metrics->render();
}

} // namespace jobsessions::api
