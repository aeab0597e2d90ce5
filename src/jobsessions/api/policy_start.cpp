// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {

// 202: the run has started and goes on; its session (id and links) says where to watch it.
void start_policy(Context& ctx)
{
    auto session = ctx.services.policies.start(ctx.request.path_parameter);
    if (!session) {
        throw_domain_error(session.error());
    }
    ctx.response.status = 202;
    ctx.response.content_type = kJson;
    dto::append_session(ctx.response.body, *session, ctx.base, ctx.services.clock.now());
    std::string location;
    dto::append_session_url(location, ctx.base, session->id);
    ctx.response.add_header("Location", location);
}

} // namespace jobsessions::api
