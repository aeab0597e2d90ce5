// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/policy.hpp"
#include "jobsessions/domain/session.hpp"
#include "jobsessions/service/outcome.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace jobsessions::service {

/// What started a run; it is said in the run's first log entry.
enum class Trigger : std::uint8_t {
    Manual,
    Schedule,
    CatchUp,
};

/// Starts and stops the runs of policies: what the policy use cases need of the runner, which implements it. Owned
/// here so that services depend on no runner code.
class RunLauncher {
public:
    virtual ~RunLauncher() = default;
    RunLauncher(const RunLauncher&) = delete;
    RunLauncher& operator=(const RunLauncher&) = delete;

    /// Starts a run of `policy` now and returns its session (Running). Conflict when the policy already has
    /// maxConcurrentRuns runs (counted over every server sharing the store), or when the server is shutting down.
    virtual Outcome<domain::JobSession> start(const domain::Policy& policy, Trigger trigger) = 0;
    /// Stops every run of a policy, on every server sharing the store, and waits until they have ended.
    virtual void stop_policy(const domain::Policy& policy) = 0;
    /// How many runs of a policy are going on, on every server sharing the store.
    [[nodiscard]] virtual Outcome<std::size_t> active_runs(const std::string& policy_id) = 0;

protected:
    RunLauncher() = default;
};

} // namespace jobsessions::service
