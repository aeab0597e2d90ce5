// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/api/request_log.hpp"
#include "jobsessions/http/body_source.hpp"

#include <memory>
#include <optional>

namespace jobsessions::api {
namespace {

/// How long a lookup waits for the store's reply before the request is answered 503.
constexpr auto kReplyLimit = std::chrono::seconds(30);

/// The answer to a GET by id whose lookup waits on the I/O thread's event loop (a store across a socket): the
/// lookup starts when the transport first asks for the body, and the answer is sent whole once the reply has come.
/// No thread is held meanwhile. The reply and every call here come on the I/O thread that reads the request.
class SessionAnswer final : public http::BodySource, public std::enable_shared_from_this<SessionAnswer> {
public:
    SessionAnswer(Context& ctx, std::int64_t id)
        : services_(ctx.services)
        , who_(ctx.who())
        , id_(id)
        , io_(*ctx.request.io)
        , base_(ctx.base)
        , instance_(ctx.path())
        , trace_id_(ctx.trace_id())
        , log_(RequestLog::of(ctx))
    {
    }

    [[nodiscard]] bool blocking() const override { return false; }
    void set_waker(const std::function<void()>& wake) override { wake_ = wake; }
    [[nodiscard]] std::chrono::milliseconds wait_limit() const override { return kReplyLimit; }

    Step produce(std::string& out) override
    {
        if (!asked_at_) {
            asked_at_ = std::chrono::steady_clock::now();
            services_.sessions.get_later(who_, id_, io_,
                                         [self = shared_from_this()](service::Outcome<domain::JobSession> session) {
                                             self->session_ = std::move(session);
                                             if (self->wake_) {
                                                 self->wake_();
                                             }
                                         });
        }
        if (session_) {
            if (*session_) {
                dto::append_session(out, **session_, base_, services_.clock.now());
            }
            return Step::Done;
        }
        // A request in flight is answered when the server stops, as any other; only a store that never replies
        // is given up on.
        return std::chrono::steady_clock::now() - *asked_at_ >= kReplyLimit ? Step::Done : Step::Wait;
    }

    void complete(http::Response& response) override
    {
        std::string internal;
        if (session_ && *session_) {
            response.content_type = kJson;
        } else {
            response.body.clear();
            try {
                if (!session_) {
                    throw ApiError::with_status(503, "The session store did not answer in time.");
                }
                throw_domain_error(session_->error());
            } catch (const ApiError& error) {
                internal = error.internal;
                write_problem(error, instance_, trace_id_, response);
            } catch (const std::exception& e) {
                internal = e.what();
                write_problem(
                    ApiError::with_status(500, "An unexpected error occurred; the server log has the details."),
                    instance_, trace_id_, response);
            }
        }
        if (services_.config.access_log || response.status >= 400) {
            log_.write(response.status, internal);
        }
    }

private:
    Services& services_;
    service::Principal who_;
    std::int64_t id_;
    boost::asio::io_context& io_;
    BaseUrl base_;
    std::string instance_;
    std::string trace_id_;
    RequestLog log_;
    std::function<void()> wake_;
    std::optional<std::chrono::steady_clock::time_point> asked_at_;
    std::optional<service::Outcome<domain::JobSession>> session_;
};

} // namespace

void get_session(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    if (ctx.services.sessions.looks_up_later() && ctx.request.io != nullptr) {
        ctx.response.stream = std::make_shared<SessionAnswer>(ctx, id);
        ctx.response.stream_now = false;
        ctx.answers_later = true;
        return;
    }
    auto session = ctx.services.sessions.get(ctx.who(), id);
    if (!session) {
        throw_domain_error(session.error());
    }
    ctx.response.content_type = kJson;
    dto::append_session(ctx.response.body, *session, ctx.base, ctx.services.clock.now());
}

store::ReadCost get_session_read_cost(http::Request& /*request*/, const service::SessionService& sessions)
{
    // A lookup that waits on the I/O thread's event loop holds nothing up: the handler only starts it.
    return sessions.looks_up_later() ? store::ReadCost::Quick : sessions.lookup_cost();
}

} // namespace jobsessions::api
