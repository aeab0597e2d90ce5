// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/metrics/registry.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

namespace jobsessions::api {

/// Counts the requests answered, by method, route template and status, and how long they took, by method and
/// route: `jobsessions_http_requests_total` and `jobsessions_http_request_duration_seconds`. A route is named by its
/// template (`/api/v1/jobSessions/{id}`), never by its path, so no label grows with the store. Thread-safe.
class RequestMetrics {
public:
    explicit RequestMetrics(metrics::Registry& registry);

    /// `route` is a template (or "console"); empty when nothing matched. `elapsed` is nullopt for an answer that
    /// waited for events (a followed log, a long poll): counted, but its wait is no latency for the histogram.
    void count(std::string_view method, std::string_view route, int status,
               std::optional<std::chrono::nanoseconds> elapsed) noexcept;

private:
    metrics::Family<metrics::Counter>& requests_;
    metrics::Family<metrics::Histogram>& durations_;
    /// The children met so far, by the addresses of the method's and route's names (static strings) and the
    /// status, so that a request is counted without building its label values again.
    using Key = std::tuple<const char*, const char*, int>;
    std::mutex mutex_;
    std::map<Key, std::pair<metrics::Counter*, metrics::Histogram*>> known_;
};

} // namespace jobsessions::api
