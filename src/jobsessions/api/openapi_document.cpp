// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/web/embedded_assets.hpp"

namespace jobsessions::api {

void get_openapi(Context& ctx)
{
    // docs/openapi.json, built into the binary with the console's files.
    const auto* document = web::find_embedded_asset("/api/v1/openapi.json");
    if (document == nullptr) {
        throw ApiError::with_status(500, "The API description is missing from this build.");
    }
    ctx.response.content_type = document->content_type;
    ctx.response.static_body = document->identity;
    ctx.response.add_header("Cache-Control", "no-cache");
}

} // namespace jobsessions::api
