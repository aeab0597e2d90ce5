// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <span>

namespace jobsessions::store::migrations {

/// One step of the schema; applied once, in version order, and recorded in `PRAGMA user_version`.
struct Migration {
    int version;
    const char* name;
    const char* sql;
};

/// Every SQLite migration, oldest first. Never edit a released step: add a new one.
std::span<const Migration> sqlite_migrations() noexcept;

} // namespace jobsessions::store::migrations
