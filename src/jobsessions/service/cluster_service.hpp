// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/cluster_store.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::service {

/// This server as one node of several sharing a database: the leases that say it is alive and whether it
/// schedules, timed by the database's clock. Thread-safe.
class ClusterService {
public:
    ClusterService(store::ClusterStore& store, std::string node);

    /// This node's name (unique among the nodes sharing the database).
    [[nodiscard]] const std::string& node() const noexcept { return node_; }

    /// Renews this node's lease for `duration`: the others take it for stopped when it runs out.
    Outcome<void> keep_alive(util::Micros duration);
    /// Takes or renews the scheduling lease for `duration`: true when this node schedules now.
    Outcome<bool> hold_scheduling(util::Micros duration);
    /// Gives up both leases (stopping): another node takes over scheduling at once.
    Outcome<void> step_down();
    /// The names of the nodes whose lease has not run out.
    Outcome<std::vector<std::string>> live_nodes();
    /// A listener for the changes any node commits.
    Outcome<std::unique_ptr<store::ChangeListener>> listen();

    /// Reads whether a newer server has upgraded the database's schema past this one's: from then on (for as long
    /// as this server runs) newer_schema() says so. True when it has.
    Outcome<bool> check_schema();
    /// The database's schema version once check_schema found it newer than this server's: this node then serves
    /// nothing that reads or writes the database, and no longer schedules (what it would read could miss what the
    /// new schema keeps, and an upgraded node serves it right). None before.
    [[nodiscard]] std::optional<std::int64_t> newer_schema() const noexcept;
    /// Why this node serves nothing that reads or writes the database, for its clients; none while it serves.
    [[nodiscard]] std::optional<std::string> refusal() const;
    /// Gives up the scheduling lease, if held: another node takes it at once.
    Outcome<void> stop_scheduling();
    /// Called once, on the thread whose check_schema found it first, when the schema is found newer (empty: none).
    void on_newer_schema(std::function<void()> observer);

private:
    store::ClusterStore& store_;
    const std::string node_;
    /// What newer_schema() says; 0 for none.
    std::atomic<std::int64_t> newer_schema_{0};
    std::mutex observer_mutex_;
    std::function<void()> newer_schema_observer_;
};

} // namespace jobsessions::service
