// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobsessions::http {

/// How the server posts to other servers (webhook receivers).
struct OutboundOptions {
    /// Connect to loopback, private, link-local and other non-public addresses too.
    bool allow_private = false;
    /// A PEM file of the certificate authorities that receivers' certificates are verified against, besides the
    /// system's (empty: the system's only).
    std::string ca_file;
    /// The longest a post takes from the name lookup to the answer's head.
    std::chrono::milliseconds timeout{10'000};
    /// The User-Agent sent.
    std::string user_agent = "jobsessions";
};

/// What a post came to: the status the receiver answered with, or why there was none (or why it was not
/// accepted: a redirect), and how long it took.
struct OutboundAnswer {
    std::optional<int> status;
    std::string error;
    std::chrono::milliseconds took{0};
};

/// Posts bodies to http and https URLs, one connection per post. The name is resolved, and every address it
/// gives that is not public is refused unless allowed, before connecting (so a name cannot lead elsewhere after
/// it was checked); https certificates are verified against the host name; redirects are never followed; only
/// the answer's head is read. Thread-safe: each post has its own I/O context.
class OutboundClient {
public:
    /// Throws std::runtime_error when the CA file cannot be read.
    explicit OutboundClient(OutboundOptions options);

    /// Posts `body` to `url` with `headers` (Host, Content-Length and User-Agent are added).
    [[nodiscard]] OutboundAnswer post(const std::string& url,
                                      const std::vector<std::pair<std::string, std::string>>& headers,
                                      std::string_view body) const;

private:
    OutboundOptions options_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
};

} // namespace jobsessions::http
