// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void get_session(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    auto session = ctx.services.sessions.get(ctx.who(), id);
    if (!session) {
        throw_domain_error(session.error());
    }
    ctx.response.content_type = kJson;
    dto::append_session(ctx.response.body, *session, ctx.base, ctx.services.clock.now());
}

} // namespace jobsessions::api
