// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_input.hpp"
#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/idempotency.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {

void create_session(Context& ctx)
{
    const auto body = parse_json_object(ctx.request.body);
    ApiError errors = ApiError::validation();
    FieldReader reader(errors);
    service::CreateSession request;
    const auto type = reader.type(body, "type", "type");
    if (FieldReader::find(body, "type") == nullptr) {
        reader.fail("type", "Is required.");
    }
    request.status = reader.status(body, "status", "status");
    request.start_time = reader.timestamp(body, "executionStartTime", "executionStartTime");
    request.stop_time = reader.timestamp(body, "executionStopTime", "executionStopTime");
    auto infos = dto::read_session_infos(reader, body);
    if (errors.has_errors()) {
        throw errors;
    }
    request.type = *type;
    infos.move_into(request);

    const BaseUrl base = ctx.base;
    const auto now = ctx.services.clock.now();
    Idempotency idempotency(ctx, 201,
                            [base, now](const store::WriteOutcome& outcome, store::IdempotencyRecord& record) {
                                const auto& s = outcome.session;
                                dto::append_session(record.body, s, base, now);
                                dto::append_session_url(record.location, base, s.id);
                            });
    if (idempotency.replayed()) {
        return;
    }
    auto created = ctx.services.sessions.create(ctx.who(), request, idempotency.record());
    if (!created) {
        if (created.error().code == service::DomainErrc::IdempotencyRace) {
            idempotency.replay_after_race();
            return;
        }
        throw_domain_error(created.error());
    }
    ctx.response.status = 201;
    ctx.response.content_type = kJson;
    // The same clock reading as the recorded answer, so a replay is byte-identical.
    dto::append_session(ctx.response.body, *created, ctx.base, now);
    std::string location;
    dto::append_session_url(location, ctx.base, created->id);
    ctx.response.add_header("Location", location);
}

} // namespace jobsessions::api
