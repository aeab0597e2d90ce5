// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/policy_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void list_policies(Context& ctx)
{
    auto policies = ctx.services.policies.list(ctx.who());
    if (!policies) {
        throw_domain_error(policies.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::policies_json(*policies, ctx.base);
}

} // namespace jobsessions::api
