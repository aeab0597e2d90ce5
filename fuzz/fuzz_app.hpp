// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/request.hpp"
#include "jobsessions/http/response.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace jobsessions::api {
class ApiApplication;
}

namespace jobsessions::fuzz {

struct OwnedRequest;

/// The whole API in one process, as jobsessiond composes it but without its scheduler, retention job or keeper,
/// on a store in a fresh directory (in memory when /dev/shm is there), with an Administrator, an Agent, a
/// session (id 1) and a webhook (never delivered) to aim at. Nothing here can run a command: no run is ever started
/// (the fuzzers send nothing to the start route, and a policy's schedule has no scheduler to act on it). One per fuzzer
/// process.
class FuzzApp {
public:
    static FuzzApp& instance();

    /// Answers one request as the server would, on this thread; streamed answers are produced a few pieces far.
    void answer(http::Request& request, http::Response& response);
    /// Answers `owned` the same way, the answer thrown away: what a fuzzer looks for is a crash or a report.
    void answer(const OwnedRequest& owned);

    api::ApiApplication& application();
    [[nodiscard]] const std::string& admin_token() const;
    [[nodiscard]] const std::string& agent_token() const;
    /// A webhook that exists, for the routes that name one.
    [[nodiscard]] const std::string& webhook_id() const;

    /// `text` with each "@ADMIN@" made an Administrator's bearer token and each "@AGENT@" an Agent's, so that
    /// inputs reach the handlers behind authentication.
    [[nodiscard]] std::string with_tokens(std::string_view text) const;

    FuzzApp(const FuzzApp&) = delete;
    FuzzApp& operator=(const FuzzApp&) = delete;

private:
    FuzzApp();
    ~FuzzApp();
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

/// A request over owned strings: what the server's parser would have made of a request line and a few fields.
struct OwnedRequest {
    std::string method = "GET";
    std::string target = "/";
    std::string host = "fuzz.example";
    std::string authorization;
    std::string content_type;
    std::string accept;
    std::string body;
    std::string last_event_id;

    /// The views of `request` set over this (which must outlive it).
    void fill(http::Request& request) const;
};

} // namespace jobsessions::fuzz
