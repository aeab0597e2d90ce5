// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/jobSessions/summary: how many sessions match the list's filters, by status (an overview's counts).
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/session_filter_input.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace jobsessions::api {

void summarize_sessions(Context& ctx)
{
    ApiError errors = ApiError::validation();
    const auto filter = read_filter(ctx.query(), errors);
    if (errors.has_errors()) {
        throw errors;
    }
    auto summary = ctx.services.sessions.summary(ctx.who(), filter);
    if (!summary) {
        throw_domain_error(summary.error());
    }
    boost::json::object counts;
    for (const auto& [status, n] : summary->by_status) {
        counts[domain::to_string(status)] = n;
    }
    boost::json::object body;
    body["totalCount"] = summary->total;
    body["statusCounts"] = std::move(counts);
    body["runningNow"] = summary->running_now;
    ctx.response.content_type = kJson;
    ctx.response.body = boost::json::serialize(body);
}

} // namespace jobsessions::api
