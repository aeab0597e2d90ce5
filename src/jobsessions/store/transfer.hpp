// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store_error.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace jobsessions::store {

/// How many rows of one table a copy read from the source, and how many the target holds once it committed.
struct TableCount {
    std::string table;
    std::int64_t source = 0;
    std::int64_t target = 0;
};

/// Copies the SQLite store at `sqlite_path` (brought up to date first) into the PostgreSQL database `conninfo`
/// (its schema brought up to date): settings (the token signing key), users, refresh tokens, sessions, their logs,
/// idempotency records, policies, the records of runs, and login throttling, keeping ids and usns. One
/// transaction: a copy that fails changes nothing. Run again, it copies what the target lacks and takes the
/// source's version of what both hold, so it is safe to repeat; the usn counter and the id sequences end past
/// the source's. `progress` is told each table as it is copied. The source must not be written meanwhile (the
/// caller holds its data directory's lock).
Result<std::vector<TableCount>> copy_sqlite_to_postgres(const std::string& sqlite_path, const std::string& conninfo,
                                                        const std::function<void(const std::string&)>& progress);

} // namespace jobsessions::store
