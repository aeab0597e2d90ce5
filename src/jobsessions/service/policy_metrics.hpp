// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/metrics/registry.hpp"
#include "jobsessions/service/policy_service.hpp"
#include "jobsessions/service/session_service.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jobsessions::service {

/// Per-policy metrics, which an operator turns on (--policy-metrics N) for at most N policies (the first N by
/// name; how many are left out is shown too), since every policy adds series:
/// `jobsessions_policy_last_success_timestamp_seconds{policy}` (0: never), `jobsessions_policy_last_status{policy,
/// status}` (1 for the status of the policy's newest finished run), `jobsessions_policy_runs_missed_total{policy}`
/// (scheduled runs recorded NeverExecuted since the server started: overlapping or missed ticks). A policy's
/// newest runs are read from the store once, the first time it is scraped; then the sessions written keep them.
/// Thread-safe.
class PolicyMetrics final : public SessionObserver {
public:
    /// Registers the metrics and observes `sessions`; both services must outlive this.
    PolicyMetrics(metrics::Registry& registry, SessionService& sessions, PolicyService& policies,
                  std::size_t max_policies);

    void session_written(const domain::JobSession* previous, const domain::JobSession& now) noexcept override;

private:
    /// What is known of a policy's runs.
    struct Runs {
        bool loaded = false;
        std::optional<domain::SessionStatus> last_status;
        util::Micros last_status_start = 0;
        /// Stop time of the newest successful run, in seconds since the epoch.
        double last_success = 0;
        double missed = 0;
    };

    /// Which of the metrics a scrape reads.
    enum class Which : std::uint8_t { LastSuccess, LastStatus, Missed, Omitted };
    std::vector<metrics::Sample> collect(Which which);
    /// Reads a policy's newest finished and successful runs from the store (under mutex_).
    void load(const std::string& policy_id, Runs& runs);
    /// The policies shown, the first by name, and how many more there are: read from the store once per scrape
    /// (the four metrics of one scrape share it; it is read again after a second).
    std::optional<std::pair<std::vector<std::pair<std::string, std::string>>, std::size_t>> shown_policies();

    SessionService& sessions_;
    PolicyService& policies_;
    std::size_t max_policies_;
    std::mutex mutex_;
    std::map<std::string, Runs> runs_;
    /// shown_policies()'s last answer (ids and names, then how many were left out) and when it was read.
    std::vector<std::pair<std::string, std::string>> shown_;
    std::size_t omitted_ = 0;
    std::optional<std::chrono::steady_clock::time_point> shown_at_;
};

} // namespace jobsessions::service
