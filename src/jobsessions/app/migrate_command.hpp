// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/app/config.hpp"

namespace jobsessions::app {

/// Runs `jobsessiond migrate --from DATA_DIR --to postgresql://...`: copies the data directory's SQLite store into
/// the PostgreSQL database and compares what each holds; returns the process exit code.
int run_migrate_command(const ParsedCommandLine& command);

} // namespace jobsessions::app
