// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/body_source.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace jobsessions::http {

/// What a handler answers. Owned by the connection and reused from request to request, so its strings keep
/// their capacity and a steady stream of requests allocates nothing.
struct Response {
    int status = 200;
    /// A constant such as "application/json; charset=utf-8"; empty when there is no body.
    std::string_view content_type;
    std::string body;
    /// A body shared with a cache and sent as it is instead of `body`: a page kept whole is not copied.
    std::shared_ptr<const std::string> shared_body;
    /// `shared_body` gzip-compressed, kept with it by the cache: sent in its place to a client that takes gzip,
    /// instead of compressing it again for every request.
    std::shared_ptr<const std::string> shared_gzipped_body;
    /// A body that lives as long as the program (the console's files, built in), sent as it is.
    std::string_view static_body;
    /// Further header lines, each "Name: value\r\n"; values come from the server, never raw from a client.
    std::string extra_headers;
    /// Close the connection after this response.
    bool close = false;
    /// A body produced piece by piece instead of `body`.
    std::shared_ptr<BodySource> stream;
    /// With `stream`: send the head at once and the body in chunks as it comes (true), or wait until the body is
    /// complete and send it whole with a Content-Length (false: a long poll).
    bool stream_now = true;
    /// The answer waits for events (a followed log, a long poll): its duration is the client's wait, not the
    /// server's latency.
    bool waits_for_events = false;

    /// Makes the response ready for the next request, keeping capacity.
    void reset()
    {
        status = 200;
        content_type = {};
        body.clear();
        shared_body.reset();
        shared_gzipped_body.reset();
        static_body = {};
        extra_headers.clear();
        close = false;
        stream.reset();
        stream_now = true;
        waits_for_events = false;
    }

    /// What is sent as the body (with a Content-Length).
    [[nodiscard]] std::string_view body_text() const noexcept
    {
        if (shared_body != nullptr) {
            return *shared_body;
        }
        return static_body.data() != nullptr ? static_body : std::string_view(body);
    }

    /// Appends one header line.
    void add_header(std::string_view name, std::string_view value)
    {
        extra_headers.append(name);
        extra_headers.append(": ");
        extra_headers.append(value);
        extra_headers.append("\r\n");
    }
};

/// The reason phrase of a status code ("Not Found").
std::string_view reason_phrase(int status) noexcept;

} // namespace jobsessions::http
