// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/policy.hpp"
#include "jobsessions/service/change_hub.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/service/principal.hpp"
#include "jobsessions/service/run_launcher.hpp"
#include "jobsessions/service/session_service.hpp"
#include "jobsessions/store/policy_store.hpp"
#include "jobsessions/util/clock.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::service {

/// The policy use cases: define, change, delete and start policies. No HTTP and no SQL here. Thread-safe.
class PolicyService {
public:
    PolicyService(store::PolicyStore& store, SessionService& sessions, RunLauncher& runs, const util::Clock& clock,
                  ChangeHub& hub);

    /// Called after every change to the policies (the scheduler re-reads them). Set once, before use.
    void on_change(std::function<void()> handler) { changed_ = std::move(handler); }

    /// Everything wrong with a definition, the schedule included; empty when it is valid.
    static std::vector<domain::PolicyProblem> problems(const domain::Policy& policy);

    /// When `policy`'s schedule next starts a run after `now`; none when it is disabled, has no schedule, or its
    /// schedule matches nothing within eight years.
    static std::optional<util::Micros> next_run(const domain::Policy& policy, util::Micros now);

    /// Every policy with its next run and newest session; environment values are redacted for all but
    /// Administrators.
    Outcome<std::vector<domain::Policy>> list(const Principal& who);
    /// One policy; environment values are redacted for all but Administrators.
    Outcome<domain::Policy> get(const Principal& who, const std::string& id);
    /// Stores a new policy with a new id; Invalid (the first problem) or Conflict (name taken).
    Outcome<domain::Policy> create(domain::Policy policy);
    /// Replaces the definition of policy `id`; runs going on keep the definition they started with.
    Outcome<domain::Policy> update(const std::string& id, domain::Policy policy);
    /// Deletes a policy. With runs going on: Conflict, unless `force`, which stops them first.
    Outcome<void> remove(const std::string& id, bool force);
    /// Starts a run now; Conflict when maxConcurrentRuns runs are going on.
    Outcome<domain::JobSession> start(const std::string& id);

    /// Every policy as defined, environment included, without what describe() adds: for the server's own jobs
    /// (the scheduler, retention).
    Outcome<std::vector<domain::Policy>> definitions();
    /// The last scheduled time the scheduler handled for policy `id` (nullopt: none yet); NotFound once deleted.
    Outcome<std::optional<util::Micros>> last_tick(const std::string& id);
    /// Moves the last scheduled time handled for policy `id` from `expected` to `tick`, before the run it stands
    /// for starts: a tick recorded is never run again, after a restart either. False when another scheduler (of
    /// another server on the same database) moved it meanwhile: then that one runs it.
    Outcome<bool> advance_tick(const std::string& id, std::optional<util::Micros> expected, util::Micros tick);

private:
    void changed() const;
    /// Adds what the server tells beside a definition (next run, newest session the principal may see) and
    /// redacts the environment for all but Administrators.
    Outcome<void> describe(const Principal& who, domain::Policy& policy);

    store::PolicyStore& store_;
    SessionService& sessions_;
    RunLauncher& runs_;
    const util::Clock& clock_;
    ChangeHub& hub_;
    std::function<void()> changed_;
};

} // namespace jobsessions::service
