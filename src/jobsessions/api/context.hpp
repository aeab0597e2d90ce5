// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/base_url.hpp"
#include "jobsessions/api/params.hpp"
#include "jobsessions/api/rendered_pages.hpp"
#include "jobsessions/api/request_metrics.hpp"
#include "jobsessions/api/session_body_cache.hpp"
#include "jobsessions/api/trace.hpp"
#include "jobsessions/http/request.hpp"
#include "jobsessions/http/response.hpp"
#include "jobsessions/service/auth_service.hpp"
#include "jobsessions/service/cluster_service.hpp"
#include "jobsessions/service/policy_service.hpp"
#include "jobsessions/service/session_service.hpp"
#include "jobsessions/service/webhook_service.hpp"
#include "jobsessions/store/session_store.hpp"
#include "jobsessions/util/clock.hpp"

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::api {

/// Settings of the API layer.
struct ApiConfig {
    /// Scheme and authority for links (`https://backup.example.com`); empty: taken from each request.
    std::string public_url;
    /// Peers whose X-Forwarded-Proto and X-Forwarded-Host are believed.
    std::vector<boost::asio::ip::address> trusted_proxies;
    /// Reported by /system/about: the version, this server's name and where it stores the sessions.
    std::string server_version;
    std::string node_name;
    std::string storage;
    /// Log every request, not only failures.
    bool access_log = false;
};

/// What handlers work with. Owned by the application; outlives every request.
struct Services {
    service::SessionService& sessions;
    service::AuthService& auth;
    service::PolicyService& policies;
    /// Rendered bodies of finished sessions, for lists.
    SessionBodyCache& session_bodies;
    /// Whole pages put together from those bodies.
    RenderedPages& rendered_pages;
    const util::Clock& clock;
    ApiConfig config;
    /// Counts the requests answered (none when null).
    RequestMetrics* request_metrics = nullptr;
    /// What GET /metrics shows (404 when null).
    const metrics::Registry* metrics = nullptr;
    /// Webhooks (503 when null).
    service::WebhookService* webhooks = nullptr;
    /// This server as a node of several sharing a database (null for one alone): once a newer server upgraded
    /// the database past this one's schema, every request that reads or writes it is answered 503.
    const service::ClusterService* cluster = nullptr;
};

/// A query parsed while deciding where the request runs, handed to its handler in http::Request::application_state
/// so that it is parsed once.
struct ParsedQuery {
    Params params;
    /// A list's filter, read without a fault (with a fault nothing is handed over: the handler names it).
    store::SessionFilter filter;
};

/// One request as a handler sees it.
class Context {
public:
    Context(const http::Request& incoming, http::Response& outgoing, Services& shared)
        : request(incoming)
        , response(outgoing)
        , services(shared)
    {
    }

    const http::Request& request;
    http::Response& response;
    Services& services;
    /// Set by the auth step for routes that need a token.
    std::optional<service::Principal> principal;
    /// The base of links, checked before the handler runs.
    BaseUrl base;
    /// Set by a handler whose answer is completed later (a login): that answer writes its own log line.
    bool answers_later = false;

    /// The authenticated principal (routes with a permission always have one).
    [[nodiscard]] const service::Principal& who() const { return *principal; }
    /// The request path, without the query.
    [[nodiscard]] std::string_view path() const;
    /// The query parameters; throws a 400 ApiError when the query is malformed.
    const Params& query();
    /// The webhook use cases; throws a 503 ApiError on a server without them.
    [[nodiscard]] service::WebhookService& webhooks() const;
    /// This request's trace id, made on first use.
    std::string_view trace_id();
    /// The client's address: the peer's, or the one a trusted proxy says it forwards for (the last in its
    /// X-Forwarded-For, which that proxy appended).
    [[nodiscard]] boost::asio::ip::address client_address() const;

private:
    std::optional<Params> query_;
    std::optional<TraceId> trace_;
};

} // namespace jobsessions::api
