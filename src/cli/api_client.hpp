// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cli/config_file.hpp"
#include "cli/connection.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::cli {

/// What the command line says about where to connect; empty members defer to the environment, then the
/// configuration file (flags > JOBSESSIONS_SERVER / JOBSESSIONS_TOKEN / JOBSESSIONS_PROFILE > the file).
struct ConnectionFlags {
    std::string server;
    std::string profile;
    std::string fingerprint;
    std::string cacert;
    bool insecure = false;
};

/// The server's answer to a failed call, as one line: its `detail`, the fields it names, and its `traceId`.
std::string problem_text(const HttpResponse& response);

/// The exit code a failed answer ends the command with.
ExitCode exit_code_for(int status) noexcept;

/// Form encoding of one value (application/x-www-form-urlencoded).
std::string form_value(std::string_view value);

/// Percent-encodes a query parameter's value.
std::string query_value(std::string_view value);

/// Calls the API with the signed-in profile's token, refreshing it first when it has expired or is about to:
/// under the configuration's lock, re-reading the file first, so that invocations started together refresh once
/// and the others take the new token (refresh tokens are single use; presenting a spent one would end the login).
/// JOBSESSIONS_TOKEN, when set, is used as it is and never refreshed.
class ApiClient {
public:
    explicit ApiClient(const ConnectionFlags& flags);

    /// Sends the request with the token; a failed answer (4xx, 5xx) throws CliError with problem_text().
    HttpResponse call(const HttpRequest& request);
    /// Like call(), and parses the JSON body.
    boost::json::value call_json(HttpRequest request);
    /// Sends the request with the token and hands the body over as it arrives (see Connection::stream); a failed
    /// answer throws as call() does.
    void stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data);

    [[nodiscard]] Connection& connection() noexcept { return *connection_; }
    [[nodiscard]] const std::string& server() const noexcept { return server_; }
    [[nodiscard]] const std::string& profile_name() const noexcept { return profile_name_; }

private:
    std::string token_for_call();
    // Refreshes the login unless another invocation did already (`stale` is the token that was refused).
    void refresh(const std::string& stale);

    ConfigFile config_;
    std::string profile_name_;
    std::string server_;
    std::string fixed_token_;
    std::unique_ptr<Connection> connection_;
};

} // namespace jobsessions::cli
