// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/app/config.hpp"

namespace jobsessions::app {

/// Runs `jobsessiond user add|passwd|list|enable|disable|remove`; returns the process exit code.
int run_user_command(const ParsedCommandLine& command);

/// Reads a password from standard input: one line, or prompted twice without echo on a terminal.
/// Throws std::runtime_error when none is given or the two entries differ.
std::string read_password(bool confirm);

/// Throws std::invalid_argument when a password is too weak to accept.
void check_password_strength(const std::string& password);

} // namespace jobsessions::app
