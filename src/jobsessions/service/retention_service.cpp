// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/retention_service.hpp"

namespace jobsessions::service {
namespace {

/// How long a retried request with the same Idempotency-Key still gets the first answer.
constexpr util::Micros kIdempotencyLifetime = util::kMicrosPerDay;

DomainError unavailable(const store::StoreError& error)
{
    return {DomainErrc::Unavailable, {}, "The store is unavailable.", error.message};
}

} // namespace

Outcome<store::RetentionBatch> RetentionService::delete_old_sessions(const std::optional<std::string>& policy_id,
                                                                     util::Micros before, std::int64_t max_sessions)
{
    auto batch = sessions_.delete_old_sessions(policy_id, before, max_sessions);
    if (!batch) {
        return unavailable(batch.error());
    }
    return *batch;
}

Outcome<std::int64_t> RetentionService::delete_expired_records(util::Micros now)
{
    auto removed = records_.delete_expired_records(now, now - kIdempotencyLifetime);
    if (!removed) {
        return unavailable(removed.error());
    }
    return *removed;
}

} // namespace jobsessions::service
