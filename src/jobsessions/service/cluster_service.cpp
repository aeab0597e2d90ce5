// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/cluster_service.hpp"

#include <string>
#include <string_view>
#include <utility>

namespace jobsessions::service {
namespace {

constexpr std::string_view kNodeLeasePrefix = "node:";
constexpr const char* kSchedulingLease = "scheduler";

DomainError unavailable(const store::StoreError& error)
{
    return {DomainErrc::Unavailable, {}, "The cluster's leases are unavailable.", error.message};
}

} // namespace

ClusterService::ClusterService(store::ClusterStore& store, std::string node)
    : store_(store)
    , node_(std::move(node))
{
}

Outcome<void> ClusterService::keep_alive(util::Micros duration)
{
    // A node restarted under its name takes its lease back at once: the name is the holder.
    auto held = store_.hold_lease(std::string(kNodeLeasePrefix) + node_, node_, duration);
    if (!held) {
        return unavailable(held.error());
    }
    return {};
}

Outcome<bool> ClusterService::hold_scheduling(util::Micros duration)
{
    auto held = store_.hold_lease(kSchedulingLease, node_, duration);
    if (!held) {
        return unavailable(held.error());
    }
    return *held;
}

Outcome<void> ClusterService::step_down()
{
    if (auto stopped = stop_scheduling(); !stopped) {
        return stopped;
    }
    if (auto released = store_.release_lease(std::string(kNodeLeasePrefix) + node_, node_); !released) {
        return unavailable(released.error());
    }
    return {};
}

Outcome<void> ClusterService::stop_scheduling()
{
    if (auto released = store_.release_lease(kSchedulingLease, node_); !released) {
        return unavailable(released.error());
    }
    return {};
}

Outcome<bool> ClusterService::check_schema()
{
    auto newer = store_.newer_schema();
    if (!newer) {
        return DomainError{
            DomainErrc::Unavailable, {}, "The database's schema version is unavailable.", newer.error().message};
    }
    std::int64_t none = 0;
    if (*newer && newer_schema_.compare_exchange_strong(none, **newer)) {
        std::lock_guard lock(observer_mutex_);
        if (newer_schema_observer_) {
            newer_schema_observer_();
        }
    }
    return newer_schema().has_value();
}

std::optional<std::string> ClusterService::refusal() const
{
    if (const auto newer = newer_schema()) {
        return "Another server upgraded the database to schema version " + std::to_string(*newer) +
               ", which this server does not know: it must be upgraded too.";
    }
    return std::nullopt;
}

void ClusterService::on_newer_schema(std::function<void()> observer)
{
    std::lock_guard lock(observer_mutex_);
    newer_schema_observer_ = std::move(observer);
}

std::optional<std::int64_t> ClusterService::newer_schema() const noexcept
{
    const auto version = newer_schema_.load();
    return version != 0 ? std::optional(version) : std::nullopt;
}

Outcome<std::vector<std::string>> ClusterService::live_nodes()
{
    auto leases = store_.live_leases();
    if (!leases) {
        return unavailable(leases.error());
    }
    std::vector<std::string> nodes;
    for (const auto& name : *leases) {
        if (name.starts_with(kNodeLeasePrefix)) {
            nodes.push_back(name.substr(kNodeLeasePrefix.size()));
        }
    }
    return nodes;
}

Outcome<std::unique_ptr<store::ChangeListener>> ClusterService::listen()
{
    auto listener = store_.listen_for_changes();
    if (!listener) {
        return unavailable(listener.error());
    }
    return std::move(*listener);
}

} // namespace jobsessions::service
