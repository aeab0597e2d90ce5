// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/policy_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

// PUT replaces the whole definition: members left out take their defaults, as at creation.
void update_policy(Context& ctx)
{
    auto updated = ctx.services.policies.update(ctx.request.path_parameter, policy_from_body(ctx));
    if (!updated) {
        throw_domain_error(updated.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::policy_json(*updated, ctx.base);
}

} // namespace jobsessions::api
