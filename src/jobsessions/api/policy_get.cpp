// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/policy_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void get_policy(Context& ctx)
{
    auto policy = ctx.services.policies.get(ctx.who(), ctx.request.path_parameter);
    if (!policy) {
        throw_domain_error(policy.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::policy_json(*policy, ctx.base);
}

} // namespace jobsessions::api
