// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"
#include "jobsessions/http/server.hpp"
#include "jobsessions/metrics/registry.hpp"
#include "jobsessions/runner/runner.hpp"
#include "jobsessions/store/store.hpp"

namespace jobsessions::app {

/// What every server shows of itself: its build and storage, and the process.
void register_server_metrics(metrics::Registry& registry, const api::ApiConfig& config);

/// What the transport counts: open connections and TLS handshakes.
void register_transport_metrics(metrics::Registry& registry, const http::Server& server);

/// The commands of policies running now: `jobsessions_runner_children`.
void register_runner_metrics(metrics::Registry& registry, const runner::Runner& runner);

/// The store's metrics: each committed batch of writes (`jobsessions_store_commit_duration_seconds`,
/// `jobsessions_store_writes_per_commit`), and the room the database and its write-ahead log take, read at each
/// scrape (`jobsessions_store_database_bytes`, `jobsessions_store_wal_bytes`). Observes the store while it lives;
/// make it before the store is used and let it outlive the store.
class StoreMetrics final : public store::WriteObserver {
public:
    explicit StoreMetrics(metrics::Registry& registry);

    /// Starts observing `store` and registers its sizes; `store` must outlive the registry's scrapes.
    void observe(store::Store& store);

    void batch_committed(std::size_t writes, std::chrono::nanoseconds took) noexcept override;

private:
    metrics::Registry& registry_;
    metrics::Histogram& commit_seconds_;
    metrics::Histogram& writes_per_commit_;
};

} // namespace jobsessions::app
