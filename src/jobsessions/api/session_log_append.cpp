// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_input.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/idempotency.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {
namespace {

// The answer tells an agent where its entries landed and how its session stands, so that it sees a stop request
// (Canceling) on its next append.
void append_result(std::string& out, const store::WriteOutcome& appended)
{
    out.append(R"({"jobSessionId":")");
    util::append_int(out, appended.session.id);
    out.append(R"(","firstSequence":)");
    util::append_int(out, appended.first_sequence);
    out.append(R"(,"lastSequence":)");
    util::append_int(out, appended.last_sequence);
    out.append(R"(,"sessionStatus":")");
    out.append(domain::to_string(appended.session.status));
    out.append(R"("})");
}

} // namespace

void append_session_log(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    const auto body = parse_json_object(ctx.request.body);
    ApiError errors = ApiError::validation();
    FieldReader reader(errors);
    const auto entries = dto::read_log_entries(reader, body);
    if (errors.has_errors()) {
        throw errors;
    }
    Idempotency idempotency(ctx, 201, [](const store::WriteOutcome& outcome, store::IdempotencyRecord& record) {
        append_result(record.body, outcome);
    });
    if (idempotency.replayed()) {
        return;
    }
    auto appended = ctx.services.sessions.append_log(ctx.who(), id, entries, idempotency.record());
    if (!appended) {
        if (appended.error().code == service::DomainErrc::IdempotencyRace) {
            idempotency.replay_after_race();
            return;
        }
        throw_domain_error(appended.error());
    }
    ctx.response.status = 201;
    ctx.response.content_type = kJson;
    append_result(ctx.response.body,
                  store::WriteOutcome{appended->session, appended->first_sequence, appended->last_sequence});
}

} // namespace jobsessions::api
