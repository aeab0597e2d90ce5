// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/api_application.hpp"

#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/request_log.hpp"
#include "jobsessions/http/gzip.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>

namespace jobsessions::api {
namespace {

bool valid_host(std::string_view host)
{
    if (host.empty() || host.size() > 255) {
        return false;
    }
    return std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == ':' || c == '[' || c == ']' || c == '_';
    });
}

std::string_view media_type(std::string_view content_type)
{
    return util::trim(content_type.substr(0, content_type.find(';')));
}

bool is_json_media_type(std::string_view content_type)
{
    const auto type = media_type(content_type);
    return util::iequals(type, "application/json") ||
           (type.size() > 5 && util::iequals(type.substr(type.size() - 5), "+json"));
}

// Works out the base of links: the configured public URL, else the request's scheme and Host, or what a trusted
// proxy says they were.
BaseUrl base_url_of(const http::Request& request, const ApiConfig& config)
{
    if (!config.public_url.empty()) {
        return BaseUrl{"", config.public_url};
    }
    BaseUrl base{request.secure ? "https://" : "http://", request.host};
    const bool trusted = std::find(config.trusted_proxies.begin(), config.trusted_proxies.end(), request.peer) !=
                         config.trusted_proxies.end();
    if (trusted) {
        const auto proto = util::trim(request.forwarded_proto.substr(0, request.forwarded_proto.find(',')));
        if (util::iequals(proto, "https")) {
            base.scheme = "https://";
        } else if (util::iequals(proto, "http")) {
            base.scheme = "http://";
        }
        const auto host = util::trim(request.forwarded_host.substr(0, request.forwarded_host.find(',')));
        if (valid_host(host)) {
            base.authority = host;
        }
    }
    if (!valid_host(base.authority)) {
        throw ApiError::bad_request("Host", "A valid Host header is required.");
    }
    return base;
}

void authenticate(const Route& route, Context& ctx)
{
    const auto header = util::trim(ctx.request.authorization);
    const auto space = header.find(' ');
    // The scheme word is matched without regard to case: real clients send "bearer".
    if (header.empty() || space == std::string_view::npos || !util::iequals(header.substr(0, space), "Bearer")) {
        ApiError e = ApiError::with_status(401, "A bearer token is required.");
        throw e;
    }
    const auto token = util::trim(header.substr(space + 1));
    ctx.principal = ctx.services.auth.authenticate(token);
    if (!ctx.principal) {
        ApiError e = ApiError::with_status(401, "The bearer token is invalid or has expired.");
        e.bearer_error = "invalid_token";
        throw e;
    }
    if (!domain::role_allows(ctx.principal->role, *route.permission)) {
        throw ApiError::with_status(403, "The role " + std::string(domain::to_string(ctx.principal->role)) +
                                             " may not do this.");
    }
}

void check_body(const Route& route, const Context& ctx)
{
    switch (route.body) {
    case BodyKind::None:
        return;
    case BodyKind::Json:
        if (!is_json_media_type(ctx.request.content_type)) {
            throw ApiError::with_status(415, "The body must be application/json.");
        }
        return;
    case BodyKind::Form:
        if (!util::iequals(media_type(ctx.request.content_type), "application/x-www-form-urlencoded")) {
            throw ApiError::with_status(415, "The body must be application/x-www-form-urlencoded.");
        }
        return;
    }
}

} // namespace

ApiApplication::ApiApplication(Services& services)
    : services_(services)
    , router_(routes())
{
}

bool ApiApplication::needs_blocking_pool(http::Request& request) noexcept
{
    const Route& route = router_.match(request.method, request.target, request.path_parameter);
    request.route = &route;
    switch (route.execution) {
    case Execution::Inline:
        return false;
    case Execution::Read:
        return (route.read_cost != nullptr ? route.read_cost(request, services_.sessions)
                                           : services_.sessions.lookup_cost()) == store::ReadCost::Long;
    case Execution::Blocking:
        return true;
    }
    return true;
}

// The requests an I/O thread answers in one round read from one snapshot, refreshed after every write.
void ApiApplication::begin_round() noexcept
{
    services_.sessions.begin_read_round();
}

void ApiApplication::end_round() noexcept
{
    services_.sessions.end_read_round();
}

void ApiApplication::run_chain(const Route& route, Context& ctx)
{
    if (route.execution != Execution::Inline && services_.cluster != nullptr) {
        if (auto refusal = services_.cluster->refusal()) {
            throw ApiError::with_status(503, std::move(*refusal));
        }
    }
    if (ctx.request.duplicate_field) {
        throw ApiError::bad_request("headers",
                                    "Host, Authorization, Content-Type and Idempotency-Key may appear once.");
    }
    // HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/1.0 has none to give, which only a route without links can serve.
    if (route.links || ctx.request.version != 10 || !ctx.request.host.empty()) {
        ctx.base = base_url_of(ctx.request, services_.config);
    }
    if (route.permission) {
        authenticate(route, ctx);
    }
    check_body(route, ctx);
    route.handler(ctx);
}

void ApiApplication::handle(http::Request& request, http::Response& response) noexcept
{
    if (request.route == nullptr) {
        request.route = &router_.match(request.method, request.target, request.path_parameter);
    }
    const Route& route = *static_cast<const Route*>(request.route);
    request.route_name = route.path;
    Context ctx(request, response, services_);
    std::string internal;
    try {
        try {
            run_chain(route, ctx);
        } catch (const ApiError& error) {
            ctx.answers_later = false;
            internal = error.internal;
            response.reset();
            write_problem(error, ctx.path(), ctx.trace_id(), response);
        } catch (const std::exception& e) {
            ctx.answers_later = false;
            internal = e.what();
            response.reset();
            write_problem(ApiError::with_status(500, "An unexpected error occurred; the server log has the details."),
                          ctx.path(), ctx.trace_id(), response);
        }
    } catch (...) {
        // Out of memory while writing the error: answer with the bare status.
        response.reset();
        response.status = 500;
        response.close = true;
    }
    // Large answers (pages of a list or a log) go gzip-compressed to clients that take it. Only answers to a bearer
    // token: the public ones are small, built in and compressed ahead of time (the OpenAPI document), or carry
    // tokens, which must never share a compressed body with text a request chose (BREACH).
    if (route.permission) {
        http::gzip_body_if_accepted(request, response);
    }
    if (!ctx.answers_later && (services_.config.access_log || response.status >= 400)) {
        log_request(ctx, internal);
    }
}

void ApiApplication::refuse(int status, std::string_view detail, const http::Request& request,
                            http::Response& response) noexcept
{
    try {
        Context ctx(request, response, services_);
        write_problem(ApiError::with_status(status, std::string(detail)), ctx.path(), ctx.trace_id(), response);
        response.close = true;
        log_request(ctx, {});
    } catch (...) {
        response.reset();
        response.status = status;
        response.close = true;
    }
}

void ApiApplication::answered(const http::Request& request, const http::Response& response,
                              std::chrono::nanoseconds elapsed) noexcept
{
    if (services_.request_metrics != nullptr) {
        services_.request_metrics->count(boost::beast::http::to_string(request.method), request.route_name,
                                         response.status,
                                         response.waits_for_events ? std::nullopt : std::optional(elapsed));
    }
}

void ApiApplication::log_request(Context& ctx, std::string_view internal_detail) noexcept
{
    try {
        RequestLog::of(ctx).write(ctx.response.status, internal_detail);
    } catch (...) {
        // Logging must never break a response.
    }
}

} // namespace jobsessions::api
