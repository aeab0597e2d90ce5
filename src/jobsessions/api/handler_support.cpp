// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/handlers.hpp"

#include <stdexcept>

namespace jobsessions::api {

std::int64_t session_id_from_path(const Context& ctx)
{
    const std::string& text = ctx.request.path_parameter;
    std::int64_t id = 0;
    bool valid = !text.empty() && text.size() <= 18;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            valid = false;
            break;
        }
        id = id * 10 + (c - '0');
    }
    if (!valid) {
        throw ApiError::not_found("Job session '" + text + "' was not found.");
    }
    return id;
}

void throw_domain_error(const service::DomainError& error)
{
    switch (error.code) {
    case service::DomainErrc::NotFound:
        throw ApiError::not_found(error.message);
    case service::DomainErrc::Conflict:
    case service::DomainErrc::IdempotencyRace:
        throw ApiError::conflict(error.message);
    case service::DomainErrc::Invalid:
        throw ApiError::bad_request(error.field, error.message);
    case service::DomainErrc::Unauthorized:
        throw ApiError::with_status(401, error.message);
    case service::DomainErrc::Unavailable: {
        ApiError e = ApiError::with_status(503, error.message);
        e.internal = error.internal;
        throw e;
    }
    case service::DomainErrc::Internal:
        throw std::runtime_error(error.internal);
    }
    throw ApiError::with_status(500, "");
}

} // namespace jobsessions::api
