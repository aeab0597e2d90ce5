// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace jobsessions::api {

/// An error answer of the API (contract §8). Thrown by handlers; the router edge turns it into problem+json.
struct ApiError {
    int status = 500;
    /// Human-readable, safe to show: never internals.
    std::string detail;
    /// For 400: each bad field or parameter with what is wrong with it, in the order found.
    std::vector<std::pair<std::string, std::vector<std::string>>> errors;
    /// OAuth members of the token endpoint (`error`, `error_description`); empty elsewhere.
    std::string oauth_error;
    /// For 405: the methods the resource has.
    std::string allow;
    /// For 401 on resources: the `error` of the WWW-Authenticate challenge (RFC 6750), if any.
    std::string bearer_error;
    /// What went wrong inside, for the server log only.
    std::string internal = {};
    /// Further header lines of the answer, each "Name: value\r\n" (such as a cleared cookie).
    std::string headers = {};

    /// Adds one message for a field.
    void add(std::string field, std::string message)
    {
        for (auto& [name, messages] : errors) {
            if (name == field) {
                messages.push_back(std::move(message));
                return;
            }
        }
        errors.emplace_back(std::move(field), std::vector<std::string>{std::move(message)});
    }
    /// True when field errors were collected.
    [[nodiscard]] bool has_errors() const noexcept { return !errors.empty(); }

    static ApiError bad_request(std::string field, std::string message)
    {
        ApiError e{400, "One or more validation errors occurred.", {}, {}, {}, {}};
        e.add(std::move(field), std::move(message));
        return e;
    }
    static ApiError validation() { return ApiError{400, "One or more validation errors occurred.", {}, {}, {}, {}}; }
    static ApiError not_found(std::string detail) { return ApiError{404, std::move(detail), {}, {}, {}, {}}; }
    static ApiError conflict(std::string detail) { return ApiError{409, std::move(detail), {}, {}, {}, {}}; }
    static ApiError with_status(int code, std::string detail)
    {
        return ApiError{code, std::move(detail), {}, {}, {}, {}};
    }
};

} // namespace jobsessions::api
