// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/later_answer.hpp"

#include "jobsessions/api/problem.hpp"
#include "jobsessions/http/gzip.hpp"

namespace jobsessions::api {

LaterAnswer::LaterAnswer(Context& ctx)
    : services_(ctx.services)
    , io_(*ctx.request.io)
    , accept_encoding_(ctx.request.accept_encoding)
    , instance_(ctx.path())
    , trace_id_(ctx.trace_id())
    , log_(RequestLog::of(ctx))
{
}

void LaterAnswer::answer_later(Context& ctx, std::shared_ptr<LaterAnswer> answer)
{
    ctx.response.stream = std::move(answer);
    ctx.response.stream_now = false;
    ctx.answers_later = true;
}

bool LaterAnswer::gave_up()
{
    // A request in flight is answered when the server stops, as any other; only a store that never replies is
    // given up on.
    if (std::chrono::steady_clock::now() - asked_at_.value_or(std::chrono::steady_clock::now()) < kReplyLimit) {
        return false;
    }
    failure_ = std::make_exception_ptr(ApiError::with_status(503, "The session store did not answer in time."));
    return true;
}

void LaterAnswer::complete(http::Response& response)
{
    std::string internal;
    if (failure_) {
        internal = write_failure(failure_, instance_, trace_id_, response);
    } else {
        response.content_type = kJson;
        replace_body(response);
        http::gzip_gathered_body_if_accepted(accept_encoding_, response);
    }
    if (services_.config.access_log || response.status >= 400) {
        log_.write(response.status, internal);
    }
}

} // namespace jobsessions::api
