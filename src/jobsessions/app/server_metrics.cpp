// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/server_metrics.hpp"

#include "jobsessions/metrics/process.hpp"

namespace jobsessions::app {
namespace {

/// Bucket bounds for writes per committed batch: 1 to 1024, doubling.
const std::vector<double>& batch_size_buckets()
{
    static const std::vector<double> bounds{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
    return bounds;
}

} // namespace

void register_server_metrics(metrics::Registry& registry, const api::ApiConfig& config)
{
    registry.collected(
        "jobsessions_build_info", "Always 1: the version of this server, its node name and storage.",
        metrics::Registry::Type::Gauge,
        [version = config.server_version, node = config.node_name, storage = config.storage] {
            return std::vector<metrics::Sample>{{{{"version", version}, {"node", node}, {"storage", storage}}, 1}};
        });
    metrics::register_process_metrics(registry);
}

void register_transport_metrics(metrics::Registry& registry, const http::Server& server)
{
    registry.collected(
        "jobsessions_http_open_connections", "Client connections open now.", metrics::Registry::Type::Gauge, [&server] {
            return std::vector<metrics::Sample>{{{}, static_cast<double>(server.stats().open_connections)}};
        });
    registry.collected("jobsessions_tls_handshakes_total", "TLS handshakes with clients, by result.",
                       metrics::Registry::Type::Counter, [&server] {
                           const auto stats = server.stats();
                           return std::vector<metrics::Sample>{
                               {{{"result", "completed"}}, static_cast<double>(stats.tls_handshakes)},
                               {{{"result", "failed"}}, static_cast<double>(stats.failed_tls_handshakes)}};
                       });
}

void register_runner_metrics(metrics::Registry& registry, const runner::Runner& runner)
{
    registry.collected("jobsessions_runner_children", "Commands of policies running now, each a child process.",
                       metrics::Registry::Type::Gauge, [&runner] {
                           return std::vector<metrics::Sample>{{{}, static_cast<double>(runner.running())}};
                       });
}

StoreMetrics::StoreMetrics(metrics::Registry& registry)
    : registry_(registry)
    , commit_seconds_(registry
                          .histogram("jobsessions_store_commit_duration_seconds",
                                     "How long a batch of writes took, from its start to its commit on disk.", {},
                                     metrics::request_seconds_buckets())
                          .with({}))
    , writes_per_commit_(registry
                             .histogram("jobsessions_store_writes_per_commit",
                                        "Writes committed together in one batch (group commit).", {},
                                        batch_size_buckets())
                             .with({}))
{
}

void StoreMetrics::observe(store::Store& store)
{
    store.observe_writes(this);
    // One read of the sizes serves both metrics of a scrape.
    registry_.collected("jobsessions_store_database_bytes", "The room the database takes on disk.",
                        metrics::Registry::Type::Gauge, [&store] {
                            auto size = store.storage_size();
                            return size ? std::vector<metrics::Sample>{{{}, static_cast<double>(size->database_bytes)}}
                                        : std::vector<metrics::Sample>{};
                        });
    registry_.collected("jobsessions_store_wal_bytes",
                        "The room the database's write-ahead log takes on disk (SQLite; none for PostgreSQL, whose "
                        "log is the cluster's).",
                        metrics::Registry::Type::Gauge, [&store] {
                            auto size = store.storage_size();
                            return size && size->log_bytes
                                       ? std::vector<metrics::Sample>{{{}, static_cast<double>(*size->log_bytes)}}
                                       : std::vector<metrics::Sample>{};
                        });
}

void StoreMetrics::batch_committed(std::size_t writes, std::chrono::nanoseconds took) noexcept
{
    commit_seconds_.observe(std::chrono::duration<double>(took).count());
    writes_per_commit_.observe(static_cast<double>(writes));
}

} // namespace jobsessions::app
