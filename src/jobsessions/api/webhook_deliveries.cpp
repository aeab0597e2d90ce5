// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/ranges.hpp"
#include "jobsessions/api/session_filter_input.hpp"

namespace jobsessions::api {
namespace {

constexpr std::int64_t kDefaultPage = 30;
constexpr std::int64_t kMaxPage = 1000;

} // namespace

void list_webhook_deliveries(Context& ctx)
{
    ApiError errors = ApiError::validation();
    const auto offset = read_integer(ctx.query(), "offset", 0, 0, kMaxExactInteger, errors);
    const auto limit = read_integer(ctx.query(), "limit", kDefaultPage, 1, kMaxPage, errors);
    if (errors.has_errors()) {
        throw errors;
    }
    auto page = ctx.webhooks().deliveries(ctx.request.path_parameter, offset, limit);
    if (!page) {
        throw_domain_error(page.error());
    }
    ctx.response.content_type = kJson;
    ctx.response.body = dto::deliveries_json(*page);
}

} // namespace jobsessions::api
