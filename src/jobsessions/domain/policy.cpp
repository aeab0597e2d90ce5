// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/policy.hpp"

#include <set>

namespace jobsessions::domain {
namespace {

constexpr std::size_t kMaxName = 200;

bool has_nul(const std::string& s)
{
    return s.find('\0') != std::string::npos;
}

} // namespace

std::vector<PolicyProblem> validate_policy(const Policy& p)
{
    std::vector<PolicyProblem> problems;
    const auto fail = [&](std::string field, std::string message) {
        problems.push_back({std::move(field), std::move(message)});
    };
    if (p.name.empty() || p.name.size() > kMaxName || has_nul(p.name)) {
        fail("name", "Is required: 1 to 200 characters.");
    }
    if (p.command.empty() || p.command.front().empty()) {
        fail("command", "Is required: the program and its arguments, such as [\"tar\", \"-czf\", \"/backup/home.tgz\", "
                        "\"/home\"].");
    }
    for (const auto& arg : p.command) {
        if (has_nul(arg)) {
            fail("command", "An argument cannot contain a NUL character.");
            break;
        }
    }
    if (!p.working_directory.empty() && (p.working_directory.front() != '/' || has_nul(p.working_directory))) {
        fail("workingDirectory", "Must be an absolute path.");
    }
    std::set<std::string> names;
    for (const auto& [name, value] : p.environment) {
        if (name.empty() || name.find('=') != std::string::npos || has_nul(name) || has_nul(value)) {
            fail("environment", "'" + name + "' is not a variable name (no '=', not empty).");
        } else if (!names.insert(name).second) {
            fail("environment", "'" + name + "' is given twice.");
        }
    }
    if (p.timeout_seconds && (*p.timeout_seconds < 1 || *p.timeout_seconds > kMaxTimeoutSeconds)) {
        fail("timeoutSeconds",
             "Must be a whole number from 1 to " + std::to_string(kMaxTimeoutSeconds) + ", or null for no limit.");
    }
    if (p.stop_grace_seconds < 0 || p.stop_grace_seconds > kMaxStopGraceSeconds) {
        fail("stopGraceSeconds", "Must be a whole number from 0 to " + std::to_string(kMaxStopGraceSeconds) + ".");
    }
    for (const auto code : p.warning_exit_codes) {
        if (code < 1 || code > 255) {
            fail("warningExitCodes", "Exit codes are from 1 to 255.");
            break;
        }
    }
    if (p.retention_days && (*p.retention_days < 1 || *p.retention_days > kMaxRetentionDays)) {
        fail("retentionDays", "Must be a whole number from 1 to " + std::to_string(kMaxRetentionDays) +
                                  ", or null for the server's default.");
    }
    if (p.max_concurrent_runs < 1 || p.max_concurrent_runs > kMaxConcurrentRuns) {
        fail("maxConcurrentRuns", "Must be a whole number from 1 to " + std::to_string(kMaxConcurrentRuns) + ".");
    }
    return problems;
}

void redact_environment(Policy& policy)
{
    for (auto& [name, value] : policy.environment) {
        value = kRedactedValue;
    }
}

} // namespace jobsessions::domain
