// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_input.hpp"
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/idempotency.hpp"
#include "jobsessions/api/problem.hpp"

namespace jobsessions::api {

void update_session(Context& ctx)
{
    const auto id = session_id_from_path(ctx);
    const auto body = parse_json_object(ctx.request.body);
    ApiError errors = ApiError::validation();
    FieldReader reader(errors);
    domain::SessionChange change;
    change.status = reader.status(body, "status", "status");
    change.stop_time = reader.timestamp(body, "executionStopTime", "executionStopTime");
    auto infos = dto::read_session_infos(reader, body);
    if (errors.has_errors()) {
        throw errors;
    }
    infos.move_into(change);

    const BaseUrl base = ctx.base;
    const auto now = ctx.services.clock.now();
    Idempotency idempotency(ctx, 200,
                            [base, now](const store::WriteOutcome& outcome, store::IdempotencyRecord& record) {
                                const auto& s = outcome.session;
                                dto::append_session(record.body, s, base, now);
                            });
    if (idempotency.replayed()) {
        return;
    }
    auto changed = ctx.services.sessions.change(ctx.who(), id, change, idempotency.record());
    if (!changed) {
        if (changed.error().code == service::DomainErrc::IdempotencyRace) {
            idempotency.replay_after_race();
            return;
        }
        throw_domain_error(changed.error());
    }
    ctx.response.content_type = kJson;
    // The same clock reading as the recorded answer, so a replay is byte-identical.
    dto::append_session(ctx.response.body, *changed, ctx.base, now);
}

} // namespace jobsessions::api
