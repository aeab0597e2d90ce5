// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/idempotency.hpp"

#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/handlers.hpp"
#include "jobsessions/api/problem.hpp"
#include "jobsessions/auth/token_codec.hpp"

namespace jobsessions::api {
namespace {

constexpr std::size_t kMaxKeyLength = 255;

bool valid_key(std::string_view key)
{
    if (key.empty() || key.size() > kMaxKeyLength) {
        return false;
    }
    for (const char c : key) {
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

} // namespace

Idempotency::Idempotency(Context& ctx, int success_status, store::IdempotencyWrite::Renderer render)
    : ctx_(ctx)
{
    const auto key = ctx.request.idempotency_key;
    if (key.empty()) {
        return;
    }
    if (!valid_key(key)) {
        throw ApiError::bad_request("Idempotency-Key", "Must be 1 to 255 visible ASCII characters.");
    }
    std::string fingerprint;
    fingerprint.reserve(ctx.request.target.size() + ctx.request.body.size() + 16);
    fingerprint.append(ctx.request.method_text);
    fingerprint.push_back(' ');
    fingerprint.append(ctx.request.target);
    fingerprint.push_back('\n');
    fingerprint.append(ctx.request.body);
    write_.emplace();
    write_->user_id = ctx.who().user_id;
    write_->key = std::string(key);
    write_->request_hash = auth::sha256(fingerprint);
    write_->status_code = success_status;
    write_->render = std::move(render);
    replayed_ = try_replay();
}

bool Idempotency::try_replay()
{
    auto answer = ctx_.services.sessions.recorded_answer(*write_);
    if (!answer) {
        throw_domain_error(answer.error());
    }
    if (answer->used_for_another_request) {
        throw ApiError::with_status(422, "The Idempotency-Key has already been used for a different request.");
    }
    if (!answer->replay) {
        return false;
    }
    const auto& record = *answer->replay;
    auto& response = ctx_.response;
    response.status = record.status_code;
    response.content_type = kJson;
    response.body = record.body;
    if (!record.location.empty()) {
        response.add_header("Location", record.location);
    }
    response.add_header("Idempotent-Replayed", "true");
    return true;
}

void Idempotency::replay_after_race()
{
    if (write_ && try_replay()) {
        replayed_ = true;
        return;
    }
    throw ApiError::conflict("A request with the same Idempotency-Key is still being processed.");
}

} // namespace jobsessions::api
