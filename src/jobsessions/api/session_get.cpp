// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/later_answer.hpp"
#include "jobsessions/api/problem.hpp"

#include <memory>

namespace jobsessions::api {
namespace {

/// The answer to a GET by id whose lookup waits on the I/O thread's event loop (a store across a socket): the
/// lookup starts when the transport first asks for the body.
class SessionAnswer final : public OutcomeAnswer<domain::JobSession> {
public:
    SessionAnswer(Context& ctx, std::int64_t id)
        : OutcomeAnswer(ctx)
        , who_(ctx.who())
        , id_(id)
        , base_(ctx.base)
    {
    }

private:
    void ask(Reply reply) override { services_.sessions.get_later(who_, id_, io_, std::move(reply)); }
    void write(std::string& out, const domain::JobSession& session) override
    {
        dto::append_session(out, session, base_, services_.clock.now());
    }

    service::Principal who_;
    std::int64_t id_;
    BaseUrl base_;
};

} // namespace

void get_session(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    if (ctx.services.sessions.looks_up_later() && ctx.request.io != nullptr) {
        LaterAnswer::answer_later(ctx, std::make_shared<SessionAnswer>(ctx, id));
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
