// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void get_webhook(Context& ctx)
{
    auto webhook = ctx.webhooks().get(ctx.request.path_parameter);
    if (!webhook) {
        throw_domain_error(webhook.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::webhook_json(*webhook, ctx.base);
}

} // namespace jobsessions::api
