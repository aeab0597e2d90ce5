// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/server_process.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jobsessions::test {

/// An HTTP response as a client sees it.
struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// The first header with this name (case-insensitive), or "".
    [[nodiscard]] std::string header(const std::string& name) const;
    /// True when the header is present.
    [[nodiscard]] bool has_header(const std::string& name) const;
    /// The body parsed as JSON (throws when it is not JSON).
    [[nodiscard]] boost::json::value json() const;
};

/// Header lines to send with a request.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// A synchronous HTTP/1.1 client over one real TCP connection (TLS verified against the server's own certificate
/// when the server runs HTTPS), built on Beast. Reconnects when the server closed the connection.
class HttpClient {
public:
    explicit HttpClient(const ServerProcess& server);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Sends one request and reads the answer.
    HttpResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                         const Headers& headers = {});

    /// GET with a bearer token (none when empty).
    HttpResponse get(const std::string& target, const std::string& token = "");
    /// POST/PATCH of a JSON body with a bearer token.
    HttpResponse send_json(const std::string& method, const std::string& target, const std::string& json,
                           const std::string& token, const Headers& extra = {});
    /// POST of a form body to the token endpoint.
    HttpResponse post_form(const std::string& target, const std::string& form);

    /// Writes raw bytes on a fresh connection and returns everything the server sends until it closes.
    std::string raw(const std::string& bytes);

    /// Closes the connection; the next request opens a new one.
    void disconnect();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Logs in with the password grant and returns the access token; fails the test otherwise.
std::string login(HttpClient& client, const std::string& user, const std::string& password);

} // namespace jobsessions::test
