// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/user.hpp"

#include <cstdint>

namespace jobsessions::service {

/// Who is making a request, from a checked access token.
struct Principal {
    std::int64_t user_id = 0;
    domain::Role role = domain::Role::Viewer;
    /// The login the token belongs to (what logout revokes).
    std::uint64_t login_id = 0;
};

/// Who the server's own jobs (runner, scheduler, retention) act as: no user, every permission.
inline constexpr Principal kSystem{0, domain::Role::Administrator, 0};

} // namespace jobsessions::service
