// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store_error.hpp"
#include "jobsessions/util/time.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::store {

/// What the servers sharing a database announced since the last wait.
struct Announced {
    /// Sessions that changed (created, changed, logged to).
    std::vector<std::int64_t> sessions;
    /// Many sessions, or any of them, may have changed: an import, a policy's removal, or announcements lost
    /// while the listener's connection was being opened again.
    bool all_sessions = false;
    /// Policies changed.
    bool policies = false;
    /// A server upgraded the database's schema.
    bool schema = false;
};

/// Waits for the changes that any server sharing the database commits. One thread uses it.
class ChangeListener {
public:
    virtual ~ChangeListener() = default;
    ChangeListener(const ChangeListener&) = delete;
    ChangeListener& operator=(const ChangeListener&) = delete;

    /// Returns when a change was committed, `timeout` passed (nothing announced) or interrupt() was called.
    /// Announcements may be lost when the connection breaks (it is opened again on the next wait): callers look
    /// in the store after a timeout too.
    virtual Result<Announced> wait(std::chrono::milliseconds timeout) = 0;
    /// Makes a wait going on (or the next one) return at once. Any thread may call it.
    virtual void interrupt() noexcept = 0;

protected:
    ChangeListener() = default;
};

/// How servers sharing one database coordinate: announcements of changes, and leases timed by the database's
/// clock (so that the servers' clocks do not matter).
class ClusterStore {
public:
    virtual ~ClusterStore() = default;
    ClusterStore(const ClusterStore&) = delete;
    ClusterStore& operator=(const ClusterStore&) = delete;

    /// A listener on a connection of its own.
    virtual Result<std::unique_ptr<ChangeListener>> listen_for_changes() = 0;
    /// Takes lease `name` for `holder` when nobody holds it or its holder's time ran out, or renews it when
    /// `holder` holds it: for `duration` from now. True when `holder` holds it now.
    virtual Result<bool> hold_lease(const std::string& name, const std::string& holder, util::Micros duration) = 0;
    /// Gives up lease `name` if `holder` holds it.
    virtual Result<void> release_lease(const std::string& name, const std::string& holder) = 0;
    /// The names of the leases held now (not run out).
    virtual Result<std::vector<std::string>> live_leases() = 0;
    /// The database's schema version when a newer server has upgraded it past the one this server knows; none
    /// while this server's is the newest.
    virtual Result<std::optional<std::int64_t>> newer_schema() = 0;

protected:
    ClusterStore() = default;
};

} // namespace jobsessions::store
