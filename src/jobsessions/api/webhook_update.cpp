// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void update_webhook(Context& ctx)
{
    auto updated = ctx.webhooks().update(ctx.request.path_parameter, webhook_from_body(ctx));
    if (!updated) {
        throw_domain_error(updated.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::webhook_json(*updated, ctx.base);
    ctx.response.add_header("Cache-Control", "no-store");
}

} // namespace jobsessions::api
