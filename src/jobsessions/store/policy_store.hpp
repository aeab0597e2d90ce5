// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/policy.hpp"
#include "jobsessions/store/store_error.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::store {

/// A policy run whose child process is alive, recorded so that a server starting after a crash can end it.
struct PolicyRun {
    std::int64_t session_id = 0;
    std::string policy_id;
    /// The child's pid, which is also its process group.
    std::int64_t pid = 0;
    /// The child's start time in clock ticks since boot (/proc/<pid>/stat), so that a reused pid is not taken
    /// for it.
    std::int64_t process_start = 0;
    /// The node (server) running it, where several share the database; a backend one server owns may leave it
    /// empty.
    std::string node;
};

/// Policy definitions and the scheduler's last handled tick of each.
class PolicyStore {
public:
    virtual ~PolicyStore() = default;
    PolicyStore(const PolicyStore&) = delete;
    PolicyStore& operator=(const PolicyStore&) = delete;

    /// Every policy, by name.
    virtual Result<std::vector<domain::Policy>> list_policies() = 0;
    /// One policy by id; NotFound.
    virtual Result<domain::Policy> get_policy(const std::string& id) = 0;
    /// Stores a new policy (its id set by the caller) with the next usn; Conflict when the name is taken.
    virtual Result<domain::Policy> create_policy(const domain::Policy& policy) = 0;
    /// Replaces a policy's definition, giving it the next usn; NotFound, or Conflict when the name is taken.
    virtual Result<domain::Policy> update_policy(const domain::Policy& policy) = 0;
    /// Deletes a policy; each of its sessions gets policyRemoved and the next usn. Returns those sessions' ids.
    virtual Result<std::vector<std::int64_t>> delete_policy(const std::string& id) = 0;
    /// The last scheduled time the scheduler handled for a policy, if any.
    virtual Result<std::optional<util::Micros>> policy_last_tick(const std::string& id) = 0;
    /// Records the last scheduled time the scheduler handled for a policy.
    virtual Result<void> set_policy_last_tick(const std::string& id, util::Micros tick) = 0;
    /// Moves a policy's last handled tick from `expected` (nullopt: none yet) to `tick`, if it is still
    /// `expected`: false when another scheduler moved it meanwhile, so that a tick is run at most once even
    /// when two servers' schedulers handle it. NotFound when the policy is gone.
    virtual Result<bool> advance_policy_tick(const std::string& id, std::optional<util::Micros> expected,
                                             util::Micros tick) = 0;

protected:
    PolicyStore() = default;
};

/// The runs whose child processes are alive, so that a server starting after a crash can end them.
class RunStore {
public:
    virtual ~RunStore() = default;
    RunStore(const RunStore&) = delete;
    RunStore& operator=(const RunStore&) = delete;

    /// Records a run about to start, unless its policy already has `max_runs` recorded runs (on any node sharing
    /// the store): false then, and nothing is written. Atomic: of two claims for the last run a policy allows,
    /// from any servers, one is recorded.
    virtual Result<bool> claim_policy_run(const PolicyRun& run, std::int64_t max_runs) = 0;
    /// Records a run whose child process has started (its claim, if any, gets the process).
    virtual Result<void> insert_policy_run(const PolicyRun& run) = 0;
    /// Forgets a run whose child process has ended.
    virtual Result<void> remove_policy_run(std::int64_t session_id) = 0;
    /// Every recorded run (at start-up: the runs of a server that stopped without ending them).
    virtual Result<std::vector<PolicyRun>> list_policy_runs() = 0;

protected:
    RunStore() = default;
};

} // namespace jobsessions::store
