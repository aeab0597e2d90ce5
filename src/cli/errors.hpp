// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>

namespace jobsessions::cli {

/// The exit codes of `jobsessions`, as the README documents them.
enum ExitCode : int {
    kSuccess = 0,
    kError = 1,
    kUsage = 2,
    kTimeout = 3,
    /// Not signed in, the login ended, or the role may not do this.
    kNotAllowed = 4,
    /// With --exit-status (and in `run`): the session ended in Error or was canceled.
    kSessionFailed = 5,
    kInterrupted = 130,
};

/// A failure to report on one line of stderr and end with `code`.
class CliError : public std::runtime_error {
public:
    CliError(ExitCode code, const std::string& message)
        : std::runtime_error(message)
        , code_(code)
    {
    }
    [[nodiscard]] ExitCode code() const noexcept { return code_; }

private:
    ExitCode code_;
};

/// The server refused a call (4xx, 5xx): `message` is its problem document's text.
class HttpProblem : public CliError {
public:
    HttpProblem(int status, ExitCode code, const std::string& message)
        : CliError(code, message)
        , status_(status)
    {
    }
    [[nodiscard]] int status() const noexcept { return status_; }

private:
    int status_;
};

} // namespace jobsessions::cli
