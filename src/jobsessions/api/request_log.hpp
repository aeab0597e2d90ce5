// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::api {

/// The server log's line about one request: method, path (never the query, which may carry what does not belong
/// in a log), the route's template, status, duration, client address, user and trace id. Taken from a request,
/// written once its status is known.
struct RequestLog {
    std::string method;
    std::string path;
    std::string route;
    std::string client;
    std::optional<std::int64_t> user_id;
    std::string user_name;
    std::string trace_id;
    std::chrono::steady_clock::time_point received_at;

    /// What the line says of `ctx`'s request.
    static RequestLog of(Context& ctx);

    /// Writes the line with the answer's status and, for a failure inside the server, its cause. Never throws.
    void write(int status, std::string_view internal_detail = {}) const noexcept;
};

} // namespace jobsessions::api
