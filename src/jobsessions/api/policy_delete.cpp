// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {

void delete_policy(Context& ctx)
{
    bool force = false;
    if (const auto value = ctx.query().first("force")) {
        if (util::iequals(*value, "true")) {
            force = true;
        } else if (!util::iequals(*value, "false")) {
            throw ApiError::bad_request("force", "Must be true or false.");
        }
    }
    if (auto removed = ctx.services.policies.remove(ctx.request.path_parameter, force); !removed) {
        throw_domain_error(removed.error());
    }
    ctx.response.status = 204;
}

} // namespace jobsessions::api
