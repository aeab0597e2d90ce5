// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/policy_service.hpp"

#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/domain/cron.hpp"
#include "jobsessions/log/log.hpp"

namespace jobsessions::service {
namespace {

DomainError not_found(const std::string& id)
{
    return {DomainErrc::NotFound, {}, "Policy '" + id + "' was not found."};
}

DomainError from_store(const store::StoreError& error, const std::string& id, const std::string& name = {})
{
    switch (error.code) {
    case store::StoreErrc::NotFound:
        return not_found(id);
    case store::StoreErrc::Conflict:
        return {DomainErrc::Conflict, "name", "A policy named '" + name + "' exists already."};
    case store::StoreErrc::Corrupt:
        return {DomainErrc::Internal, {}, {}, error.message};
    default:
        return {DomainErrc::Unavailable, {}, "The policy store is unavailable.", error.message};
    }
}

} // namespace

PolicyService::PolicyService(store::PolicyStore& store, SessionService& sessions, RunLauncher& runs,
                             const util::Clock& clock, ChangeHub& hub)
    : store_(store)
    , sessions_(sessions)
    , runs_(runs)
    , clock_(clock)
    , hub_(hub)
{
}

std::vector<domain::PolicyProblem> PolicyService::problems(const domain::Policy& policy)
{
    auto problems = domain::validate_policy(policy);
    if (!policy.schedule.empty()) {
        auto parsed = domain::CronSchedule::parse(policy.schedule);
        if (const auto* error = std::get_if<std::string>(&parsed)) {
            problems.push_back({"schedule", "Not a schedule: " + *error + "."});
        }
    }
    return problems;
}

void PolicyService::changed() const
{
    if (changed_) {
        changed_();
    }
}

std::optional<util::Micros> PolicyService::next_run(const domain::Policy& policy, util::Micros now)
{
    if (!policy.enabled || policy.schedule.empty()) {
        return std::nullopt;
    }
    auto parsed = domain::CronSchedule::parse(policy.schedule);
    const auto* schedule = std::get_if<domain::CronSchedule>(&parsed);
    return schedule != nullptr ? schedule->next_after(now) : std::nullopt;
}

Outcome<void> PolicyService::describe(const Principal& who, domain::Policy& policy)
{
    policy.next_run = next_run(policy, clock_.now());
    store::SessionFilter filter;
    filter.policy_id = policy.id;
    auto newest = sessions_.list(who, filter, 0, 1); // an Agent sees only its own sessions, here too
    if (!newest) {
        return newest.error();
    }
    if (!newest->sessions.empty()) {
        const auto& session = newest->sessions.front();
        policy.last_run = domain::PolicyLastRun{session.id, session.status, session.start_time, session.stop_time};
    }
    if (!domain::role_allows(who.role, domain::Permission::Administer)) {
        domain::redact_environment(policy);
    }
    return {};
}

Outcome<std::vector<domain::Policy>> PolicyService::list(const Principal& who)
{
    auto policies = store_.list_policies();
    if (!policies) {
        return from_store(policies.error(), {});
    }
    for (auto& policy : *policies) {
        if (auto described = describe(who, policy); !described) {
            return described.error();
        }
    }
    return std::move(*policies);
}

Outcome<domain::Policy> PolicyService::get(const Principal& who, const std::string& id)
{
    auto policy = store_.get_policy(id);
    if (!policy) {
        return from_store(policy.error(), id);
    }
    if (auto described = describe(who, *policy); !described) {
        return described.error();
    }
    return std::move(*policy);
}

Outcome<domain::Policy> PolicyService::create(domain::Policy policy)
{
    if (auto found = problems(policy); !found.empty()) {
        return DomainError{DomainErrc::Invalid, found.front().field, found.front().message};
    }
    policy.id = auth::random_uuid();
    policy.created_at = clock_.now();
    auto created = store_.create_policy(policy);
    if (!created) {
        return from_store(created.error(), policy.id, policy.name);
    }
    changed();
    // Only Administrators define policies: the answer shows the whole definition.
    if (auto described = describe(kSystem, *created); !described) {
        return described.error();
    }
    return std::move(*created);
}

Outcome<domain::Policy> PolicyService::update(const std::string& id, domain::Policy policy)
{
    auto current = store_.get_policy(id);
    if (!current) {
        return from_store(current.error(), id);
    }
    if (auto found = problems(policy); !found.empty()) {
        return DomainError{DomainErrc::Invalid, found.front().field, found.front().message};
    }
    policy.id = id;
    policy.created_at = current->created_at;
    auto updated = store_.update_policy(policy);
    if (!updated) {
        return from_store(updated.error(), id, policy.name);
    }
    // A new definition counts its schedule from now: ticks of the old one are not "missed" by the new one.
    if (auto reset = store_.set_policy_last_tick(id, clock_.now()); !reset) {
        // The definition is stored; the scheduler then counts from the old definition's last tick, so a catch-up
        // policy may run a tick the new schedule would have had before now.
        log::warning("policy " + id + ": cannot reset its schedule's last tick: " + reset.error().message);
    }
    changed();
    if (auto described = describe(kSystem, *updated); !described) {
        return described.error();
    }
    return std::move(*updated);
}

Outcome<void> PolicyService::remove(const std::string& id, bool force)
{
    auto current = store_.get_policy(id);
    if (!current) {
        return from_store(current.error(), id);
    }
    auto running = runs_.active_runs(id);
    if (!running) {
        return running.error();
    }
    if (*running > 0) {
        if (!force) {
            return DomainError{DomainErrc::Conflict,
                               {},
                               "Policy '" + current->name + "' has " + std::to_string(*running) +
                                   " run(s) going on; stop them first, or delete with force=true."};
        }
        runs_.stop_policy(*current);
    }
    auto removed = store_.delete_policy(id);
    if (!removed) {
        return from_store(removed.error(), id);
    }
    // Its sessions now say policyRemoved, each with a new usn: wake whoever follows them.
    for (const auto session_id : *removed) {
        hub_.changed(session_id);
    }
    changed();
    return {};
}

Outcome<domain::JobSession> PolicyService::start(const std::string& id)
{
    auto policy = store_.get_policy(id);
    if (!policy) {
        return from_store(policy.error(), id);
    }
    return runs_.start(*policy, Trigger::Manual);
}

Outcome<std::vector<domain::Policy>> PolicyService::definitions()
{
    auto policies = store_.list_policies();
    if (!policies) {
        return from_store(policies.error(), {});
    }
    return std::move(*policies);
}

Outcome<std::optional<util::Micros>> PolicyService::last_tick(const std::string& id)
{
    auto tick = store_.policy_last_tick(id);
    if (!tick) {
        return from_store(tick.error(), id);
    }
    return *tick;
}

Outcome<bool> PolicyService::advance_tick(const std::string& id, std::optional<util::Micros> expected,
                                          util::Micros tick)
{
    auto moved = store_.advance_policy_tick(id, expected, tick);
    if (!moved) {
        return from_store(moved.error(), id);
    }
    return *moved;
}

} // namespace jobsessions::service
