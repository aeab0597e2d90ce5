// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/handlers.hpp"

namespace jobsessions::api {

void stop_session(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    auto stopped = ctx.services.sessions.stop(ctx.who(), id);
    if (!stopped) {
        throw_domain_error(stopped.error());
    }
    // Contract §6: 200 with an empty body.
    ctx.response.status = 200;
}

} // namespace jobsessions::api
