// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void list_webhooks(Context& ctx)
{
    auto webhooks = ctx.webhooks().list();
    if (!webhooks) {
        throw_domain_error(webhooks.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::webhooks_json(*webhooks, ctx.base);
}

} // namespace jobsessions::api
