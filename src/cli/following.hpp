// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cli/context.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace jobsessions::cli {

/// True for the statuses a session ends in.
bool is_final_status(std::string_view status) noexcept;

/// What `--exit-status` ends with for a final status: 0 for Success and Warning, 5 for Error, Canceled and
/// NeverExecuted.
ExitCode outcome_exit_code(std::string_view status) noexcept;

/// Prints the log of session `id` after entry `after` and every entry appended later, as the server streams them
/// (Server-Sent Events), until the session ends; reconnects after a dropped connection from the last entry seen
/// (Last-Event-ID), so that no line is lost or repeated. Returns the final status.
std::string follow_log(ApiClient& client, const GlobalOptions& global, const std::string& id, std::int64_t after);

/// "90", "90s", "15m", "2h", "1h30m" as a duration; nullopt when it is none of these.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

} // namespace jobsessions::cli
