// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/app/config.hpp"

namespace jobsessions::app {

/// `jobsessiond backup --data-dir DIR --to FILE`: a verified copy of the store while its server runs. Returns the
/// exit code.
int run_backup_command(const ParsedCommandLine& command);

/// `jobsessiond restore --from FILE --data-dir DIR`: puts a backup in place, refused while a server holds DIR; the
/// store it replaces is kept beside it. Returns the exit code.
int run_restore_command(const ParsedCommandLine& command);

} // namespace jobsessions::app
