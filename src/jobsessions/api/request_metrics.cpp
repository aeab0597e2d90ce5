// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/request_metrics.hpp"

#include <string>

namespace jobsessions::api {

RequestMetrics::RequestMetrics(metrics::Registry& registry)
    : requests_(registry.counter("jobsessions_http_requests_total",
                                 "HTTP requests answered, by method, route template and status code.",
                                 {"method", "route", "code"}))
    , durations_(registry.histogram("jobsessions_http_request_duration_seconds",
                                    "Time from a request's arrival to the end of its answer, by method and route.",
                                    {"method", "route"}, metrics::request_seconds_buckets()))
{
}

void RequestMetrics::count(std::string_view method, std::string_view route, int status,
                           std::optional<std::chrono::nanoseconds> elapsed) noexcept
{
    if (route.empty()) {
        route = "unmatched";
    }
    try {
        std::pair<metrics::Counter*, metrics::Histogram*> found;
        {
            const std::lock_guard lock(mutex_);
            auto& known = known_[Key{method.data(), route.data(), status}];
            if (known.first == nullptr) {
                known.first = &requests_.with({std::string(method), std::string(route), std::to_string(status)});
                known.second = &durations_.with({std::string(method), std::string(route)});
            }
            found = known;
        }
        found.first->add();
        if (elapsed) {
            found.second->observe(std::chrono::duration<double>(*elapsed).count());
        }
    } catch (...) {
        // Out of memory for a new label set: the request goes uncounted rather than unanswered.
    }
}

} // namespace jobsessions::api
