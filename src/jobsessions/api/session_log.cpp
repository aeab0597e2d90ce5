// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void get_session_log(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    auto log = ctx.services.sessions.log(ctx.who(), id, 0, -1);
    if (!log) {
        throw_domain_error(log.error());
    }
    ctx.response.content_type = kJson;
    dto::append_log(ctx.response.body, id, *log);
}

} // namespace jobsessions::api
