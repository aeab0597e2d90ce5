// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/store.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace jobsessions::service {

/// Deleting what has grown old: finished sessions past their retention, and the records that expire (spent
/// refresh tokens, idempotency answers older than a day, old login counts). Thread-safe.
class RetentionService {
public:
    RetentionService(store::SessionStore& sessions, store::HousekeepingStore& records)
        : sessions_(sessions)
        , records_(records)
    {
    }

    /// Deletes at most `max_sessions` finished sessions started before `before`, with their logs: those of
    /// policy `policy_id`, or (nullopt) those no policy's retentionDays covers.
    Outcome<store::RetentionBatch> delete_old_sessions(const std::optional<std::string>& policy_id, util::Micros before,
                                                       std::int64_t max_sessions);

    /// Deletes the records expired at `now`; returns how many went.
    Outcome<std::int64_t> delete_expired_records(util::Micros now);

private:
    store::SessionStore& sessions_;
    store::HousekeepingStore& records_;
};

} // namespace jobsessions::service
