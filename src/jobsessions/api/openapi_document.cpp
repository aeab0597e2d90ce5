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
    const auto form = web::preferred_form(*document, ctx.request.accept_encoding);
    ctx.response.content_type = document->content_type;
    ctx.response.static_body = form.body;
    ctx.response.add_header("Cache-Control", "no-cache");
    ctx.response.add_header("Vary", "Accept-Encoding");
    if (!form.coding.empty()) {
        ctx.response.add_header("Content-Encoding", form.coding);
    }
}

} // namespace jobsessions::api
