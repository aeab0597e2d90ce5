// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/session_metrics.hpp"

#include "jobsessions/log/log.hpp"

#include <string>

namespace jobsessions::service {
namespace {

constexpr auto kFirstFinal = static_cast<std::size_t>(domain::SessionStatus::Success);
constexpr auto kFinalStatuses = static_cast<std::size_t>(domain::SessionStatus::NeverExecuted) - kFirstFinal + 1;

} // namespace

SessionMetrics::SessionMetrics(metrics::Registry& registry, SessionService& sessions)
{
    auto& finished = registry.counter("jobsessions_sessions_finished_total",
                                      "Sessions this server saw finish, by type and final status.", {"type", "status"});
    auto& durations = registry.histogram("jobsessions_session_duration_seconds",
                                         "How long the sessions this server saw finish ran, by type.", {"type"},
                                         metrics::job_seconds_buckets());
    for (const auto type : domain::all_session_types()) {
        durations_.push_back(&durations.with({std::string(domain::to_string(type))}));
        for (const auto status : domain::all_session_statuses()) {
            if (domain::is_final(status)) {
                finished_.push_back(
                    &finished.with({std::string(domain::to_string(type)), std::string(domain::to_string(status))}));
            }
        }
    }
    registry.collected("jobsessions_sessions_running",
                       "Sessions of the whole store that have not finished (pending, running or canceling), by type.",
                       metrics::Registry::Type::Gauge, [&sessions] {
                           std::vector<metrics::Sample> samples;
                           auto counts = sessions.unfinished_by_type();
                           if (!counts) {
                               log::warning("metrics: cannot count the running sessions: " + counts.error().for_log());
                               return samples;
                           }
                           const auto types = domain::all_session_types();
                           for (std::size_t i = 0; i < types.size(); ++i) {
                               samples.push_back({{{"type", std::string(domain::to_string(types[i]))}},
                                                  static_cast<double>((*counts)[i])});
                           }
                           return samples;
                       });
    sessions.observe(*this);
}

void SessionMetrics::session_written(const domain::JobSession* previous, const domain::JobSession& now) noexcept
{
    if (!domain::is_final(now.status) || (previous != nullptr && domain::is_final(previous->status))) {
        return;
    }
    const auto type = static_cast<std::size_t>(now.type);
    finished_[type * kFinalStatuses + static_cast<std::size_t>(now.status) - kFirstFinal]->add();
    if (now.stop_time) {
        durations_[type]->observe(static_cast<double>(*now.stop_time - now.start_time) / 1e6);
    }
}

} // namespace jobsessions::service
