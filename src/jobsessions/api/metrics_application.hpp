// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/application.hpp"
#include "jobsessions/metrics/registry.hpp"
#include "jobsessions/service/cluster_service.hpp"

namespace jobsessions::api {

/// The server of --metrics-listen: GET /metrics without a token, for a scraper on a trusted address (the machine
/// itself, a monitoring network), and nothing else. Like the API's /metrics, it answers 503 once a newer server
/// upgraded the database past what this one knows: what it would read of the store can no longer be trusted, and a
/// scraper then sees the node down. Thread-safe.
class MetricsApplication final : public http::Application {
public:
    /// `registry` and `cluster` (null without several servers) must outlive the application.
    MetricsApplication(const metrics::Registry& registry, const service::ClusterService* cluster);

    bool needs_blocking_pool(http::Request& request) noexcept override;
    void handle(http::Request& request, http::Response& response) noexcept override;
    void refuse(int status, std::string_view detail, const http::Request& request,
                http::Response& response) noexcept override;

private:
    const metrics::Registry& registry_;
    const service::ClusterService* cluster_;
};

} // namespace jobsessions::api
