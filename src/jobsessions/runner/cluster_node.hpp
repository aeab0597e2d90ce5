// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/runner/runner.hpp"
#include "jobsessions/runner/scheduler.hpp"
#include "jobsessions/service/cluster_service.hpp"
#include "jobsessions/service/run_records.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace jobsessions::runner {

/// This server as one node of several sharing a database. It renews its node lease every few seconds (the others
/// take it for stopped once the lease runs out), holds the scheduling lease when it is free (one node schedules at
/// a time, taking over within about kLease after its node stopped), and while it leads, ends the runs of nodes
/// that stopped. Leadership is believed only until the lease would run out by this machine's steady clock, minus
/// a margin, so a node that cannot renew stops scheduling before another may start.
class ClusterNode final : public Leadership {
public:
    /// How long a lease lasts from its renewal, by the database's clock.
    static constexpr auto kLease = std::chrono::seconds(15);
    /// How often leases are renewed.
    static constexpr auto kRenewInterval = std::chrono::seconds(3);

    /// `leadership_changed` is called when this node starts or stops leading.
    ClusterNode(service::ClusterService& cluster, service::RunRecords& records, Runner& runner,
                std::function<void()> leadership_changed);
    ~ClusterNode() override;
    ClusterNode(const ClusterNode&) = delete;
    ClusterNode& operator=(const ClusterNode&) = delete;

    /// Takes this node's lease (an error when the database cannot be reached) and starts renewing it.
    service::Outcome<void> start();
    /// Stops renewing and gives the leases up, so that another node takes over scheduling at once.
    void stop();

    [[nodiscard]] bool leads() const noexcept override;

private:
    void loop();
    /// Renews the leases, and ends the runs of stopped nodes while leading.
    void renew();
    /// Whether a newer server has upgraded the database past this one's schema (checked at every renewal): the
    /// node then keeps its own lease (its runs go on) but gives up scheduling. Said once in the log.
    bool outdated();
    /// Renews at once instead of at the next interval.
    void renew_soon();
    void end_orphaned_runs();

    service::ClusterService& cluster_;
    service::RunRecords& records_;
    Runner& runner_;
    std::function<void()> leadership_changed_;
    /// Until when (steady clock, nanoseconds since its epoch) this node may take itself for the leader.
    std::atomic<std::int64_t> leads_until_{0};
    bool led_ = false;
    bool failing_ = false;
    /// A newer schema was found: the node stepped out of scheduling.
    bool stepped_out_ = false;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool renew_now_ = false;
    std::thread thread_;
};

} // namespace jobsessions::runner
