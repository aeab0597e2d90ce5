// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/app/config.hpp"

namespace jobsessions::app {

/// Runs the server until SIGTERM or SIGINT, then shuts down cleanly; returns the process exit code. Start-up
/// failures (port in use, unusable data directory, bad certificate) print one line on stderr and return 1.
int run_server(const Config& config);

} // namespace jobsessions::app
