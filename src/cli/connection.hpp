// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cli/errors.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::cli {

/// How the server's certificate is trusted: by its SHA-256 fingerprint, by a file of certificate authorities, by
/// the system's authorities (all empty), or not at all.
struct Trust {
    std::string fingerprint;
    std::string cacert;
    bool insecure = false;
};

struct HttpRequest {
    std::string method = "GET";
    /// Path and query, such as "/api/v1/jobSessions?limit=30".
    std::string target;
    /// Further header fields, name and value.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct HttpResponse {
    int status = 0;
    /// Header fields by lower-case name (the last of a name).
    std::map<std::string, std::string> headers;
    std::string body;

    [[nodiscard]] std::string header(const std::string& lower_case_name) const
    {
        const auto found = headers.find(lower_case_name);
        return found == headers.end() ? std::string() : found->second;
    }
};

/// The TLS handshake failed because the server's certificate is not trusted; says what its fingerprint is.
class UntrustedCertificate : public CliError {
public:
    UntrustedCertificate(const std::string& server, std::string fingerprint, const Trust& trust);
    [[nodiscard]] const std::string& fingerprint() const noexcept { return fingerprint_; }

private:
    std::string fingerprint_;
};

/// One keep-alive HTTP/1.1 connection to the server (HTTPS verified as `Trust` says), opened on first use and
/// again after the server closed it. Every step has a deadline, so a silent server ends in a timeout error rather
/// than a hang. Not thread-safe.
class Connection {
public:
    /// `server` is "https://host:port" or "http://host:port" (a path after it is not allowed).
    Connection(const std::string& server, Trust trust);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// How long each step (connect, handshake, write, a read) may take; 30 s unless set.
    void set_step_timeout(std::chrono::milliseconds timeout) noexcept;

    /// Sends the request and reads the whole answer. Throws CliError on a network or TLS failure.
    HttpResponse send(const HttpRequest& request);

    /// Sends the request and hands the body over piece by piece as it arrives: `on_head` once with the status and
    /// header fields (body empty), then `on_data` for each piece until the body ends or `on_data` returns false
    /// (the connection is then closed). Throws CliError on a network or TLS failure.
    void stream(const HttpRequest& request, const std::function<void(const HttpResponse&)>& on_head,
                const std::function<bool(std::string_view)>& on_data);

    /// Closes the connection (the next request opens a new one).
    void close() noexcept;

    /// The SHA-256 fingerprint of the certificate the server showed at the last handshake ("" before one, or
    /// over plain HTTP).
    [[nodiscard]] const std::string& seen_fingerprint() const noexcept;

    [[nodiscard]] const std::string& host() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// "AB:CD:…" (upper case, colons) from a fingerprint written any common way ("abcd…", "AB:CD…", "ab cd …");
/// empty when it is not 32 bytes of hex.
std::string normalize_fingerprint(std::string_view text);

} // namespace jobsessions::cli
