// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/context.hpp"

#include "jobsessions/api/api_error.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>

namespace jobsessions::api {

std::string_view Context::path() const
{
    const auto target = request.target;
    return target.substr(0, target.find('?'));
}

const Params& Context::query()
{
    if (const auto* parsed = std::any_cast<ParsedQuery>(&request.application_state)) {
        return parsed->params;
    }
    if (!query_) {
        query_ = Params::from_target(request.target);
        if (!query_) {
            query_.emplace();
            throw ApiError::bad_request("query", "The query string is not valid.");
        }
    }
    return *query_;
}

boost::asio::ip::address Context::client_address() const
{
    const auto& proxies = services.config.trusted_proxies;
    if (request.forwarded_for.empty() || std::find(proxies.begin(), proxies.end(), request.peer) == proxies.end()) {
        return request.peer;
    }
    const auto last = util::trim(request.forwarded_for.substr(request.forwarded_for.rfind(',') + 1));
    boost::system::error_code ec;
    const auto forwarded = boost::asio::ip::make_address(std::string(last), ec);
    return ec ? request.peer : forwarded;
}

service::WebhookService& Context::webhooks() const
{
    if (services.webhooks == nullptr) {
        throw ApiError::with_status(503, "Webhooks are not available on this server.");
    }
    return *services.webhooks;
}

std::string_view Context::trace_id()
{
    if (!trace_) {
        trace_ = TraceId::make(request.traceparent);
    }
    return trace_->text();
}

} // namespace jobsessions::api
