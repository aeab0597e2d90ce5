// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void create_webhook(Context& ctx)
{
    auto created = ctx.webhooks().create(webhook_from_body(ctx));
    if (!created) {
        throw_domain_error(created.error());
    }
    ctx.response.status = 201;
    ctx.response.content_type = kJson;
    ctx.response.body = dto::webhook_json(*created, ctx.base);
    // The answer holds the secret: no cache may keep it.
    ctx.response.add_header("Cache-Control", "no-store");
    std::string location;
    ctx.base.append_to(location);
    location += "/api/v1/webhooks/" + created->id;
    ctx.response.add_header("Location", location);
}

} // namespace jobsessions::api
