// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/user.hpp"

#include "jobsessions/util/strings.hpp"

#include <array>

namespace jobsessions::domain {
namespace {

constexpr std::array<std::string_view, 5> kRoleNames{"Viewer", "Operator", "Agent", "Administrator", "Monitor"};
constexpr std::array<Role, 5> kRoles{Role::Viewer, Role::Operator, Role::Agent, Role::Administrator, Role::Monitor};

} // namespace

std::string_view to_string(Role role) noexcept
{
    return kRoleNames[static_cast<std::size_t>(role)];
}

std::optional<Role> parse_role(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < kRoleNames.size(); ++i) {
        if (util::iequals(kRoleNames[i], text)) {
            return kRoles[i];
        }
    }
    return std::nullopt;
}

bool role_allows(Role role, Permission permission) noexcept
{
    switch (permission) {
    case Permission::Read:
        return role != Role::Monitor;
    case Permission::WriteSessions:
        return role == Role::Agent || role == Role::Administrator;
    case Permission::Operate:
        return role == Role::Operator || role == Role::Administrator;
    case Permission::Administer:
        return role == Role::Administrator;
    case Permission::ReadMetrics:
        return role == Role::Monitor || role == Role::Administrator;
    }
    return false;
}

} // namespace jobsessions::domain
