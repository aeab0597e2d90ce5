// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

namespace jobsessions::cli {

/// Asks on the controlling terminal (not stdin, which may be a pipe) and reads one line; with `echo` false the
/// typed text is not shown (a password). nullopt when there is no terminal.
std::optional<std::string> ask_terminal(const std::string& prompt, bool echo);

} // namespace jobsessions::cli
