// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/policy_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void create_policy(Context& ctx)
{
    auto created = ctx.services.policies.create(policy_from_body(ctx));
    if (!created) {
        throw_domain_error(created.error());
    }
    ctx.response.status = 201;
    ctx.response.content_type = kJson;
    ctx.response.body = dto::policy_json(*created, ctx.base);
    std::string location;
    ctx.base.append_to(location);
    location += "/api/v1/policies/" + created->id;
    ctx.response.add_header("Location", location);
}

} // namespace jobsessions::api
