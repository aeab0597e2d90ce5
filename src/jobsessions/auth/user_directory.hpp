// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/user.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace jobsessions::auth {

/// What a request needs to know of a user.
struct UserEntry {
    std::int64_t id = 0;
    std::string name;
    domain::Role role = domain::Role::Viewer;
    bool disabled = false;
};

/// An in-memory copy of the user table, so that checking a token needs no database round trip. It is reloaded
/// every few seconds (and at once after a change made through this server), which bounds how long a disabled or
/// removed user's tokens keep working. Thread-safe; lookups take no lock once a thread has seen the current copy.
class UserDirectory {
public:
    UserDirectory();

    /// Replaces the copy with `users`.
    void replace(const std::vector<domain::User>& users);

    /// The user with this id, if it exists.
    [[nodiscard]] std::optional<UserEntry> find(std::int64_t id) const;

    /// Calls `f(entry)` on the user with this id, if it exists, without copying it; returns false otherwise.
    template <class F> bool visit(std::int64_t id, F&& f) const
    {
        const auto& snapshot = current();
        const auto it = snapshot.find(id);
        if (it == snapshot.end()) {
            return false;
        }
        f(it->second);
        return true;
    }

private:
    using Snapshot = std::unordered_map<std::int64_t, UserEntry>;
    const Snapshot& current() const;

    /// Unique per directory, so a thread's cached copy is never taken for another directory's.
    std::uint64_t id_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Snapshot> snapshot_;
    std::atomic<std::uint64_t> version_{1};
};

} // namespace jobsessions::auth
