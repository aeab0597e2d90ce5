// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/policy_metrics.hpp"

#include "jobsessions/log/log.hpp"

#include <algorithm>

namespace jobsessions::service {
namespace {

double seconds(util::Micros t)
{
    return static_cast<double>(t) / 1e6;
}

} // namespace

PolicyMetrics::PolicyMetrics(metrics::Registry& registry, SessionService& sessions, PolicyService& policies,
                             std::size_t max_policies)
    : sessions_(sessions)
    , policies_(policies)
    , max_policies_(max_policies)
{
    registry.collected("jobsessions_policy_last_success_timestamp_seconds",
                       "When the newest successful run of each policy ended (0: never).",
                       metrics::Registry::Type::Gauge, [this] { return collect(Which::LastSuccess); });
    registry.collected("jobsessions_policy_last_status",
                       "1 for the final status of each policy's newest finished run, 0 for the others.",
                       metrics::Registry::Type::Gauge, [this] { return collect(Which::LastStatus); });
    registry.collected("jobsessions_policy_runs_missed_total",
                       "Scheduled runs of each policy recorded NeverExecuted (overlapping or missed) since the "
                       "server started.",
                       metrics::Registry::Type::Counter, [this] { return collect(Which::Missed); });
    registry.collected("jobsessions_policy_metrics_omitted",
                       "Policies left out of the per-policy metrics by their cap (--policy-metrics).",
                       metrics::Registry::Type::Gauge, [this] { return collect(Which::Omitted); });
    sessions.observe(*this);
}

void PolicyMetrics::session_written(const domain::JobSession* previous, const domain::JobSession& now) noexcept
{
    // A policy's runs carry it in their backupJobInfo.
    if (!now.backup_info || now.backup_info->policy_id.empty() || !domain::is_final(now.status) ||
        (previous != nullptr && domain::is_final(previous->status))) {
        return;
    }
    try {
        std::lock_guard lock(mutex_);
        auto& runs = runs_[now.backup_info->policy_id];
        if (now.status == domain::SessionStatus::NeverExecuted) {
            ++runs.missed;
        }
        if (!runs.loaded) {
            return; // its first scrape reads this run from the store with the others
        }
        if (!runs.last_status || now.start_time >= runs.last_status_start) {
            runs.last_status = now.status;
            runs.last_status_start = now.start_time;
        }
        if (now.status == domain::SessionStatus::Success) {
            runs.last_success = std::max(runs.last_success, seconds(now.stop_time.value_or(now.start_time)));
        }
    } catch (...) {
        // Out of memory for a policy's entry: its metrics miss this run, nothing else does.
    }
}

void PolicyMetrics::load(const std::string& policy_id, Runs& runs)
{
    store::SessionFilter filter;
    filter.policy_id = policy_id;
    for (const auto status : domain::all_session_statuses()) {
        if (domain::is_final(status)) {
            filter.statuses.push_back(status);
        }
    }
    auto newest = sessions_.list(kSystem, filter, 0, 1);
    filter.statuses = {domain::SessionStatus::Success};
    auto success = sessions_.list(kSystem, filter, 0, 1);
    if (!newest || !success) {
        log::warning("metrics: cannot read the runs of policy " + policy_id + ": " +
                     (!newest ? newest.error() : success.error()).for_log());
        return; // tried again at the next scrape
    }
    if (!newest->sessions.empty()) {
        runs.last_status = newest->sessions[0].status;
        runs.last_status_start = newest->sessions[0].start_time;
    }
    if (!success->sessions.empty()) {
        const auto& run = success->sessions[0];
        runs.last_success = seconds(run.stop_time.value_or(run.start_time));
    }
    runs.loaded = true;
}

std::optional<std::pair<std::vector<std::pair<std::string, std::string>>, std::size_t>> PolicyMetrics::shown_policies()
{
    const auto now = std::chrono::steady_clock::now();
    if (shown_at_ && now - *shown_at_ < std::chrono::seconds(1)) {
        return std::pair(shown_, omitted_);
    }
    auto policies = policies_.definitions();
    if (!policies) {
        log::warning("metrics: cannot read the policies: " + policies.error().for_log());
        return std::nullopt;
    }
    std::sort(policies->begin(), policies->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    const auto shown = std::min(policies->size(), max_policies_);
    shown_.clear();
    for (std::size_t i = 0; i < shown; ++i) {
        shown_.emplace_back((*policies)[i].id, (*policies)[i].name);
    }
    omitted_ = policies->size() - shown;
    shown_at_ = now;
    return std::pair(shown_, omitted_);
}

std::vector<metrics::Sample> PolicyMetrics::collect(Which which)
{
    std::vector<metrics::Sample> samples;
    std::lock_guard lock(mutex_);
    const auto policies = shown_policies();
    if (!policies) {
        return samples;
    }
    if (which == Which::Omitted) {
        samples.push_back({{}, static_cast<double>(policies->second)});
        return samples;
    }
    for (const auto& [id, name] : policies->first) {
        auto& runs = runs_[id];
        if (!runs.loaded) {
            load(id, runs);
        }
        switch (which) {
        case Which::LastSuccess:
            samples.push_back({{{"policy", name}}, runs.last_success});
            break;
        case Which::LastStatus:
            for (const auto status : domain::all_session_statuses()) {
                if (domain::is_final(status)) {
                    samples.push_back({{{"policy", name}, {"status", std::string(domain::to_string(status))}},
                                       runs.last_status == status ? 1.0 : 0.0});
                }
            }
            break;
        case Which::Missed:
            samples.push_back({{{"policy", name}}, runs.missed});
            break;
        case Which::Omitted:
            break; // answered above
        }
    }
    return samples;
}

} // namespace jobsessions::service
