// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/verb.hpp>

#include <any>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace jobsessions::http {

/// One parsed request: the request line, the few header fields the server uses, and the body. The views point
/// into buffers owned by the connection and stay valid until the response has been written.
struct Request {
    boost::beast::http::verb method = boost::beast::http::verb::unknown;
    std::string_view method_text;
    std::string_view target;
    int version = 11;
    bool keep_alive = true;

    std::string_view host;
    std::string_view authorization;
    std::string_view content_type;
    std::string_view accept;
    std::string_view idempotency_key;
    std::string_view forwarded_proto;
    std::string_view forwarded_host;
    /// The last X-Forwarded-For field.
    std::string_view forwarded_for;
    std::string_view last_event_id;
    std::string_view traceparent;
    std::string_view accept_encoding;
    std::string_view if_none_match;
    /// The first Cookie field.
    std::string_view cookie;
    /// True when a header field appeared twice where only one is allowed (Host, Authorization, Content-Type).
    bool duplicate_field = false;

    std::string_view body;

    /// True when the request arrived over TLS.
    bool secure = false;
    boost::asio::ip::address peer;
    /// When the whole request had arrived (what a log line's duration counts from).
    std::chrono::steady_clock::time_point received_at;
    /// The event loop of the I/O thread that reads the request. A handler on that thread may start I/O on it
    /// and answer once it completes, with a BodySource that does not block (Response::stream_now false).
    boost::asio::io_context* io = nullptr;

    /// Set by the application while routing, read back when the handler runs; opaque to the transport.
    const void* route = nullptr;
    /// The name of what answered, for metrics: a route's template, never a path (empty: nothing matched).
    std::string_view route_name;
    /// The decoded path parameter (such as a session id) of the matched route; its capacity is reused.
    std::string path_parameter;
    /// What the application worked out while deciding where the request runs (a parsed query), for its handler;
    /// opaque to the transport.
    std::any application_state;
};

} // namespace jobsessions::http
