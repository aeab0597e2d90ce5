// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/api_error.hpp"
#include "jobsessions/http/response.hpp"

#include <exception>
#include <string>
#include <string_view>

namespace jobsessions::api {

/// The media type of error answers.
inline constexpr std::string_view kProblemJson = "application/problem+json; charset=utf-8";
/// The media type of JSON answers.
inline constexpr std::string_view kJson = "application/json; charset=utf-8";

/// Writes `error` as an RFC 9457 problem document: type, title, status, detail, instance, errors, the OAuth
/// members, traceId; plus the Allow and WWW-Authenticate headers that go with 405 and 401.
void write_problem(const ApiError& error, std::string_view instance, std::string_view trace_id,
                   http::Response& response);

/// For an answer completed after its handler returned (a BodySource's complete()): answers `response` with the
/// problem `failure` stands for (an ApiError as it is, anything else as a 500 whose detail points at the log),
/// replacing its body, and returns what the server log should say of it.
std::string write_failure(const std::exception_ptr& failure, std::string_view instance, std::string_view trace_id,
                          http::Response& response);

/// The short title of a status code, as ASP.NET Core words it.
std::string_view problem_title(int status) noexcept;

} // namespace jobsessions::api
