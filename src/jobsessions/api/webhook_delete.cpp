// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/handlers.hpp"

namespace jobsessions::api {

void delete_webhook(Context& ctx)
{
    if (auto removed = ctx.webhooks().remove(ctx.request.path_parameter); !removed) {
        throw_domain_error(removed.error());
    }
    ctx.response.status = 204;
}

} // namespace jobsessions::api
