// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/run_records.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace jobsessions::service {
namespace {

DomainError unavailable(const store::StoreError& error)
{
    return {DomainErrc::Unavailable, {}, "The run records are unavailable.", error.message};
}

} // namespace

Outcome<bool> RunRecords::claim(std::int64_t session_id, const std::string& policy_id, std::int64_t max_runs)
{
    auto claimed = store_.claim_policy_run(store::PolicyRun{session_id, policy_id, 0, 0, node_}, max_runs);
    if (!claimed) {
        return unavailable(claimed.error());
    }
    return *claimed;
}

Outcome<void> RunRecords::record(store::PolicyRun run)
{
    run.node = node_;
    if (auto recorded = store_.insert_policy_run(run); !recorded) {
        return unavailable(recorded.error());
    }
    return {};
}

Outcome<void> RunRecords::forget(std::int64_t session_id)
{
    if (auto removed = store_.remove_policy_run(session_id); !removed) {
        return unavailable(removed.error());
    }
    return {};
}

Outcome<std::vector<store::PolicyRun>> RunRecords::of_policy(const std::string& policy_id)
{
    auto runs = store_.list_policy_runs();
    if (!runs) {
        return unavailable(runs.error());
    }
    std::erase_if(*runs, [&](const store::PolicyRun& run) { return run.policy_id != policy_id; });
    return std::move(*runs);
}

Outcome<std::vector<store::PolicyRun>> RunRecords::left_behind()
{
    auto runs = store_.list_policy_runs();
    if (!runs) {
        return unavailable(runs.error());
    }
    std::erase_if(*runs, [this](const store::PolicyRun& run) { return run.node != node_; });
    return std::move(*runs);
}

Outcome<std::vector<store::PolicyRun>> RunRecords::orphaned(const std::vector<std::string>& live_nodes)
{
    auto runs = store_.list_policy_runs();
    if (!runs) {
        return unavailable(runs.error());
    }
    std::erase_if(*runs, [&](const store::PolicyRun& run) {
        return run.node == node_ || std::find(live_nodes.begin(), live_nodes.end(), run.node) != live_nodes.end();
    });
    return std::move(*runs);
}

} // namespace jobsessions::service
