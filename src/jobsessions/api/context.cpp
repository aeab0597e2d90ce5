// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/context.hpp"

#include "jobsessions/api/api_error.hpp"

namespace jobsessions::api {

std::string_view Context::path() const
{
    const auto target = request.target;
    return target.substr(0, target.find('?'));
}

const Params& Context::query()
{
    if (!query_) {
        query_ = Params::from_target(request.target);
        if (!query_) {
            query_.emplace();
            throw ApiError::bad_request("query", "The query string is not valid.");
        }
    }
    return *query_;
}

std::string_view Context::trace_id()
{
    if (!trace_) {
        trace_ = TraceId::make(request.traceparent);
    }
    return trace_->text();
}

} // namespace jobsessions::api
