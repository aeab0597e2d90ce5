// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/application.hpp"
#include "jobsessions/metrics/registry.hpp"

namespace jobsessions::api {

/// The server of --metrics-listen: GET /metrics without a token, for a scraper on a trusted address (the machine
/// itself, a monitoring network), and nothing else. Thread-safe.
class MetricsApplication final : public http::Application {
public:
    /// `registry` must outlive the application.
    explicit MetricsApplication(const metrics::Registry& registry);

    bool needs_blocking_pool(http::Request& request) noexcept override;
    void handle(http::Request& request, http::Response& response) noexcept override;
    void refuse(int status, std::string_view detail, const http::Request& request,
                http::Response& response) noexcept override;

private:
    const metrics::Registry& registry_;
};

} // namespace jobsessions::api
