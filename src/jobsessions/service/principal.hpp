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

} // namespace jobsessions::service
