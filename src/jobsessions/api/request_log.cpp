// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/request_log.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {

RequestLog RequestLog::of(Context& ctx)
{
    RequestLog entry;
    entry.method = ctx.request.method_text.empty() ? std::string_view("-") : ctx.request.method_text;
    entry.path = ctx.path().empty() ? std::string_view("-") : ctx.path();
    entry.client = ctx.client_address().to_string();
    if (ctx.principal) {
        entry.user = ctx.principal->user_id;
    }
    entry.trace_id = ctx.trace_id();
    return entry;
}

void RequestLog::write(int status, std::string_view internal_detail) const noexcept
{
    try {
        std::string line;
        line.reserve(160);
        line += method;
        line += ' ';
        line += path;
        line += ' ';
        util::append_int(line, status);
        line += " peer=";
        line += client;
        if (user) {
            line += " user=";
            util::append_int(line, *user);
        }
        line += " traceId=";
        line += trace_id;
        if (!internal_detail.empty()) {
            line += " error=";
            line += internal_detail;
        }
        if (status >= 500) {
            log::error(line);
        } else {
            log::info(line);
        }
    } catch (...) {
        // Logging must never break a response.
    }
}

} // namespace jobsessions::api
