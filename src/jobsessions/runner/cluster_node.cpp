// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/cluster_node.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <utility>

namespace jobsessions::runner {
namespace {

/// How much sooner than the lease this node stops taking itself for the leader: its clock may run a little fast
/// against the database's, and a renewal takes time.
constexpr auto kLeaderMargin = std::chrono::seconds(3);

std::int64_t steady_now() noexcept
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

constexpr util::Micros kLeaseMicros =
    std::chrono::duration_cast<std::chrono::microseconds>(ClusterNode::kLease).count();

} // namespace

ClusterNode::ClusterNode(service::ClusterService& cluster, service::RunRecords& records, Runner& runner,
                         std::function<void()> leadership_changed)
    : cluster_(cluster)
    , records_(records)
    , runner_(runner)
    , leadership_changed_(std::move(leadership_changed))
{
    // Found by the relay of other servers' changes when an upgrade is announced: step out now, not at the next
    // renewal.
    cluster_.on_newer_schema([this] { renew_soon(); });
}

ClusterNode::~ClusterNode()
{
    cluster_.on_newer_schema({});
    stop();
}

void ClusterNode::renew_soon()
{
    {
        std::lock_guard lock(mutex_);
        renew_now_ = true;
    }
    wake_.notify_all();
}

service::Outcome<void> ClusterNode::start()
{
    if (auto alive = cluster_.keep_alive(kLeaseMicros); !alive) {
        return alive.error();
    }
    renew();
    thread_ = std::thread([this] { loop(); });
    return {};
}

void ClusterNode::stop()
{
    {
        std::lock_guard lock(mutex_);
        if (stop_) {
            return;
        }
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    leads_until_ = 0;
    if (auto released = cluster_.step_down(); !released) {
        log::warning("cannot give up the leases of node " + cluster_.node() +
                     " (the others take over when they run out): " + released.error().for_log());
    }
}

bool ClusterNode::leads() const noexcept
{
    return steady_now() < leads_until_.load();
}

void ClusterNode::loop()
{
    util::name_this_thread("cluster-node");
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait_for(lock, kRenewInterval, [this] { return stop_ || renew_now_; });
        if (stop_) {
            break;
        }
        renew_now_ = false;
        lock.unlock();
        renew();
        lock.lock();
    }
}

bool ClusterNode::outdated()
{
    if (stepped_out_) {
        return true;
    }
    // Found already when the upgrade was announced (ChangeRelay), or read now.
    if (!cluster_.newer_schema()) {
        auto newer = cluster_.check_schema();
        if (!newer) {
            // Read again at the next renewal; the leases' renewal, which follows, says when the database is
            // unreachable.
            if (!failing_) {
                log::warning("node " + cluster_.node() +
                             " cannot read the database's schema version: " + newer.error().for_log());
            }
            return false;
        }
        if (!*newer) {
            return false;
        }
    }
    stepped_out_ = true;
    log::error("the database has schema version " + std::to_string(*cluster_.newer_schema()) +
               ", newer than this server's: another server upgraded it. Node " + cluster_.node() +
               " answers 503 to every request that reads or writes it and no longer schedules: upgrade this server");
    if (auto released = cluster_.stop_scheduling(); !released) {
        log::warning("cannot give up the scheduling lease of node " + cluster_.node() +
                     " (another node takes it when it runs out): " + released.error().for_log());
    }
    return true;
}

void ClusterNode::renew()
{
    const auto asked = steady_now();
    const bool stays_out = outdated();
    auto alive = cluster_.keep_alive(kLeaseMicros);
    auto scheduling = !alive      ? service::Outcome<bool>(alive.error())
                      : stays_out ? service::Outcome<bool>(false)
                                  : cluster_.hold_scheduling(kLeaseMicros);
    if (!scheduling) {
        // Leadership, if held, lasts until the lease runs out by this clock: another node cannot take it before.
        if (!failing_) {
            log::warning("node " + cluster_.node() + " cannot renew its leases: " + scheduling.error().for_log());
            failing_ = true;
        }
    } else {
        if (failing_) {
            log::info("node " + cluster_.node() + " renews its leases again");
            failing_ = false;
        }
        leads_until_ = *scheduling ? asked + std::chrono::nanoseconds(kLease - kLeaderMargin).count() : 0;
    }
    const bool leads_now = leads();
    if (leads_now != led_) {
        led_ = leads_now;
        log::info("node " + cluster_.node() + (leads_now ? " schedules now" : " no longer schedules"));
        if (leadership_changed_) {
            leadership_changed_();
        }
    }
    if (leads_now) {
        end_orphaned_runs();
    }
}

void ClusterNode::end_orphaned_runs()
{
    auto live = cluster_.live_nodes();
    if (!live) {
        log::warning("cannot read which nodes are alive: " + live.error().for_log());
        return;
    }
    auto orphaned = records_.orphaned(*live);
    if (!orphaned) {
        log::warning("cannot read the runs of stopped nodes: " + orphaned.error().for_log());
        return;
    }
    for (const auto& run : *orphaned) {
        runner_.end_orphaned(run, cluster_.node());
    }
}

} // namespace jobsessions::runner
