// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/problem.hpp"

#include "jobsessions/util/utf8.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace jobsessions::api {
namespace {

std::string_view problem_type(int status) noexcept
{
    switch (status) {
    case 400:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.1";
    case 401:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.2";
    case 403:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.4";
    case 404:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.5";
    case 405:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.6";
    case 406:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.7";
    case 409:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.10";
    case 413:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.14";
    case 415:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.16";
    case 422:
        return "https://tools.ietf.org/html/rfc9110#section-15.5.21";
    case 429:
        return "https://tools.ietf.org/html/rfc6585#section-4";
    case 431:
        return "https://tools.ietf.org/html/rfc6585#section-5";
    case 501:
        return "https://tools.ietf.org/html/rfc9110#section-15.6.2";
    case 503:
        return "https://tools.ietf.org/html/rfc9110#section-15.6.4";
    default:
        return "https://tools.ietf.org/html/rfc9110#section-15.6.1";
    }
}

} // namespace

std::string_view problem_title(int status) noexcept
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "An error occurred while processing your request.";
    }
}

void write_problem(const ApiError& error, std::string_view instance, std::string_view trace_id,
                   http::Response& response)
{
    // A detail may quote the request (a path, a parameter), which may hold any bytes: the answer is UTF-8 all the
    // same, each malformed sequence a U+FFFD.
    const auto text = [](std::string_view raw) { return util::to_valid_utf8(raw); };
    boost::json::object body;
    body["type"] = problem_type(error.status);
    body["title"] = error.status == 400 && !error.errors.empty() ? "One or more validation errors occurred."
                                                                 : problem_title(error.status);
    body["status"] = error.status;
    if (!error.detail.empty() &&
        !(error.status == 400 && !error.errors.empty() && error.detail == "One or more validation errors occurred.")) {
        body["detail"] = text(error.detail);
    }
    if (!instance.empty()) {
        body["instance"] = text(instance);
    }
    if (!error.errors.empty()) {
        boost::json::object fields;
        for (const auto& [name, messages] : error.errors) {
            boost::json::array list;
            for (const auto& m : messages) {
                list.emplace_back(text(m));
            }
            fields[text(name)] = std::move(list);
        }
        body["errors"] = std::move(fields);
    }
    if (!error.oauth_error.empty()) {
        body["error"] = error.oauth_error;
        body["error_description"] = text(error.detail);
    }
    body["traceId"] = trace_id;
    response.status = error.status;
    response.content_type = kProblemJson;
    response.body = boost::json::serialize(body);
    response.extra_headers.append(error.headers);
    if (error.status == 405 && !error.allow.empty()) {
        response.add_header("Allow", error.allow);
    }
    if (error.status == 401) {
        if (error.bearer_error.empty()) {
            response.add_header("WWW-Authenticate", "Bearer");
        } else {
            response.add_header("WWW-Authenticate", "Bearer error=\"" + error.bearer_error + "\"");
        }
    }
}

std::string write_failure(const std::exception_ptr& failure, std::string_view instance, std::string_view trace_id,
                          http::Response& response)
{
    response.body.clear();
    response.shared_body.reset();
    try {
        std::rethrow_exception(failure);
    } catch (const ApiError& error) {
        write_problem(error, instance, trace_id, response);
        return error.internal;
    } catch (const std::exception& e) {
        write_problem(ApiError::with_status(500, "An unexpected error occurred; the server log has the details."),
                      instance, trace_id, response);
        return e.what();
    }
}

} // namespace jobsessions::api
