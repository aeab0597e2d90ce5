// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"
#include "jobsessions/domain/user.hpp"

#include <boost/beast/http/verb.hpp>

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::api {

/// Answers one endpoint; throws ApiError for error answers.
using Handler = void (*)(Context&);

/// Where a handler runs.
enum class Execution : std::uint8_t {
    /// Pure computation: always on the I/O thread.
    Inline,
    /// Store reads: on the I/O thread when the store says they are quick, otherwise on the blocking pool.
    Read,
    /// Writes, password hashing and anything else that waits: on the blocking pool.
    Blocking,
};

/// What a route's body must be.
enum class BodyKind : std::uint8_t { None, Json, Form };

/// One line of the routing table.
struct Route {
    boost::beast::http::verb method;
    /// A template such as `/api/v1/jobSessions/{id}`; literal segments match without regard to case, as in
    /// ASP.NET Core.
    std::string_view path;
    Handler handler;
    /// Needed to call the route; nullopt for public routes.
    std::optional<domain::Permission> permission;
    Execution execution;
    BodyKind body;
    /// For a Read route whose cost depends on the request (a list's filters): what the store says it costs. A
    /// Long read goes to the blocking pool, so that it never holds up the other connections of its I/O thread.
    /// Without it, a Read route costs what the store says a lookup does.
    store::ReadCost (*read_cost)(http::Request&, const service::SessionService&) = nullptr;
    /// For the router's own 405 routes: the methods of the path.
    std::string allow = {};
    /// False for a route whose answers hold no links (health, metrics): it also answers an HTTP/1.0 request
    /// without Host, as health checkers such as haproxy's send by default.
    bool links = true;
};

/// The routing table (routes.cpp): every endpoint, in one place.
std::span<const Route> routes();

/// Matches method and target against the table; 404 and 405 come back as routes of their own, whose handlers
/// throw the matching ApiError. Thread-safe after construction.
class Router {
public:
    explicit Router(std::span<const Route> table);

    /// The route for this request, with the decoded path parameter (if the template has one) in `parameter`.
    [[nodiscard]] const Route& match(boost::beast::http::verb method, std::string_view target,
                                     std::string& parameter) const;

private:
    /// No route has more segments than this.
    static constexpr std::size_t kMaxSegments = 8;

    struct Segment {
        std::string text;
        std::string folded; // `text` in ASCII lower case
        bool parameter = false;
    };
    struct Template {
        std::vector<Segment> segments;
        std::vector<const Route*> routes;
        std::unique_ptr<Route> method_not_allowed;
    };

    std::vector<Template> templates_;
    /// The templates of each segment count (index), in table order: a path is compared with these alone.
    std::array<std::vector<const Template*>, kMaxSegments + 1> by_segment_count_;
    Route not_found_;
    Route bad_target_;
};

} // namespace jobsessions::api
