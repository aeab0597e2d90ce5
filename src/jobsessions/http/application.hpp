// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/request.hpp"
#include "jobsessions/http/response.hpp"

#include <chrono>
#include <string_view>

namespace jobsessions::http {

/// What the transport calls for each request. The transport knows nothing of sessions; the API implements this.
/// Thread-safety: called concurrently from every I/O thread and from the blocking pool.
class Application {
public:
    virtual ~Application() = default;
    Application() = default;
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    /// Routes `request` (keeping what it needs in `request.route`); returns true when its handler may block and
    /// must therefore run on the blocking pool instead of the I/O thread.
    virtual bool needs_blocking_pool(Request& request) noexcept = 0;

    /// Called by an I/O thread before the first request it answers itself in a round (the requests its event loop
    /// had ready at once) and after the last, before it waits again: reads may share work across a round.
    virtual void begin_round() noexcept {}
    virtual void end_round() noexcept {}

    /// Answers `request` into `response`. Never throws: every failure becomes an error response.
    virtual void handle(Request& request, Response& response) noexcept = 0;

    /// Answers a request the transport refused before it was complete (400 malformed, 413 body too large,
    /// 431 header too large); `request` holds what was read of it, possibly nothing.
    virtual void refuse(int status, std::string_view detail, const Request& request, Response& response) noexcept = 0;

    /// Called once the answer to `request` (handled or refused) has been written, or its stream has ended, with
    /// the time since the request had arrived whole: for metrics.
    virtual void answered(const Request& /*request*/, const Response& /*response*/,
                          std::chrono::nanoseconds /*elapsed*/) noexcept
    {
    }
};

} // namespace jobsessions::http
