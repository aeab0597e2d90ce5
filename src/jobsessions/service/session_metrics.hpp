// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/metrics/registry.hpp"
#include "jobsessions/service/session_service.hpp"

#include <vector>

namespace jobsessions::service {

/// The sessions' metrics: `jobsessions_sessions_finished_total{type,status}` and
/// `jobsessions_session_duration_seconds{type}` (1 s to a day) for the sessions this server saw finish — created
/// final, or changed to a final status — and `jobsessions_sessions_running{type}`, the sessions of the whole store
/// that have not finished, read at each scrape from the counts the store keeps. Every type and final status is
/// there from the start (at 0), so that rates need no first sample. Thread-safe.
class SessionMetrics final : public SessionObserver {
public:
    /// Registers the metrics and observes `sessions`, which must outlive this.
    SessionMetrics(metrics::Registry& registry, SessionService& sessions);

    void session_written(const domain::JobSession* previous, const domain::JobSession& now) noexcept override;

private:
    /// By type, then final status, in declaration order.
    std::vector<metrics::Counter*> finished_;
    std::vector<metrics::Histogram*> durations_;
};

} // namespace jobsessions::service
