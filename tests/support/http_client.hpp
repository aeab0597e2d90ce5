// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/server_process.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
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
    /// Plain HTTP to 127.0.0.1:`port` (a proxy in front of servers).
    explicit HttpClient(int port);
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

namespace jobsessions::test {

/// A plain-TCP connection that sends one request and reads the answer bit by bit as it arrives, for streamed
/// bodies (Server-Sent Events, chunked exports).
class StreamReader {
public:
    /// Connects to `server` and sends `request` (raw bytes).
    StreamReader(const ServerProcess& server, const std::string& request);
    ~StreamReader();
    StreamReader(const StreamReader&) = delete;
    StreamReader& operator=(const StreamReader&) = delete;

    /// Reads until `done(received)` holds, the server closes, or `timeout` passes; returns all received so far.
    const std::string& read_until(const std::function<bool(const std::string&)>& done,
                                  std::chrono::milliseconds timeout);
    /// True once the server closed the connection.
    [[nodiscard]] bool closed() const noexcept { return closed_; }
    /// Everything received so far.
    [[nodiscard]] const std::string& received() const noexcept { return received_; }
    /// Closes the connection from this side.
    void close();

private:
    int fd_ = -1;
    bool closed_ = false;
    std::string received_;
};

/// The body of a chunked HTTP response (everything after the head), with the chunk framing removed.
std::string dechunk(const std::string& response);

} // namespace jobsessions::test
