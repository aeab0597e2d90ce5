// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::domain {

/// What a user may do (contract §3). Enumerators are spelled like the wire values.
enum class Role : std::uint8_t {
    Viewer,
    Operator,
    Agent,
    Administrator,
    /// Reads the server's metrics and nothing else (a Prometheus scraper).
    Monitor,
};

/// The wire name of a role.
std::string_view to_string(Role role) noexcept;
/// Parses a role name without regard to case.
std::optional<Role> parse_role(std::string_view text) noexcept;

/// What a request needs to be allowed; each route names one.
enum class Permission : std::uint8_t {
    /// Read sessions, logs and policies (an Agent reads only the sessions it created).
    Read,
    /// Create and update sessions and append log entries.
    WriteSessions,
    /// Stop sessions and start policies.
    Operate,
    /// Manage users and policies.
    Administer,
    /// Read the server's metrics (GET /metrics).
    ReadMetrics,
};

/// True when a user with `role` holds `permission`.
bool role_allows(Role role, Permission permission) noexcept;

/// A user account as stored.
struct User {
    std::int64_t id = 0;
    std::string name;
    Role role = Role::Viewer;
    /// Argon2id hash in libsodium's encoded form.
    std::string password_hash;
    bool disabled = false;
    util::Micros created_at = 0;
};

} // namespace jobsessions::domain
