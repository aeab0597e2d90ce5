// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/request_log.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/strings.hpp"

#include <vector>

namespace jobsessions::api {

RequestLog RequestLog::of(Context& ctx)
{
    RequestLog entry;
    entry.method = ctx.request.method_text.empty() ? std::string_view("-") : ctx.request.method_text;
    entry.path = ctx.path().empty() ? std::string_view("-") : ctx.path();
    entry.route = ctx.request.route_name;
    entry.client = ctx.client_address().to_string();
    if (ctx.principal) {
        entry.user_id = ctx.principal->user_id;
        entry.user_name = ctx.services.auth.user_name(ctx.principal->user_id);
    }
    entry.trace_id = ctx.trace_id();
    entry.received_at = ctx.request.received_at;
    return entry;
}

void RequestLog::write(int status, std::string_view internal_detail) const noexcept
{
    try {
        std::string message;
        message.reserve(method.size() + path.size() + 5);
        message.append(method).append(" ").append(path).append(" ");
        util::append_int(message, status);
        const auto elapsed = std::chrono::steady_clock::now() - received_at;
        std::vector<log::Field> fields{
            {"method", method, false},
            {"path", path, false},
            {"route", route.empty() ? std::string_view("unmatched") : std::string_view(route), false},
            {"status", std::int64_t{status}, false},
            {"client", client},
        };
        fields.reserve(10);
        if (user_id) {
            fields.push_back({"user", user_name});
            fields.push_back({"userId", *user_id, false});
        }
        fields.push_back({"traceId", trace_id});
        if (received_at != std::chrono::steady_clock::time_point()) {
            fields.push_back(
                {"durationUs", std::int64_t{std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()}});
        }
        if (!internal_detail.empty()) {
            fields.push_back({"error", internal_detail});
        }
        log::write(status >= 500 ? log::Level::Error : log::Level::Info, message, fields);
    } catch (...) {
        // Logging must never break a response.
    }
}

} // namespace jobsessions::api
