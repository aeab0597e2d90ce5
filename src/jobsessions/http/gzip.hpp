// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/request.hpp"
#include "jobsessions/http/response.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace jobsessions::http {

/// Bodies smaller than this are sent as they are: compressing them saves a few packets at most.
inline constexpr std::size_t kSmallestGzippedBody = std::size_t{16} * 1024;

/// Compresses `input` into `output` (replacing it) as one gzip member, at the fastest level: a megabyte of JSON
/// takes about a millisecond and shrinks ten- to thirty-fold. `input` may view `output`'s own text: `output` is
/// written only once the input has been read whole. False when out of memory, `output` then unchanged.
[[nodiscard]] bool gzip(std::string_view input, std::string& output);

/// Sends the response's whole body (`body` or `shared_body`) gzip-compressed when it is at least
/// kSmallestGzippedBody and the request accepts gzip, with `Content-Encoding: gzip`; adds `Vary: Accept-Encoding`
/// to every body of that size either way. Streamed bodies, built-in bodies (`static_body`, compressed ahead of
/// time) and responses without a body are left alone; so is a body that fails to compress. A `shared_body` that
/// comes with its `shared_gzipped_body` is sent as that, without compressing it again.
void gzip_body_if_accepted(const Request& request, Response& response);
/// The same for a body gathered whole from a BodySource (Response::stream_now false), once it is complete: the
/// request's Accept-Encoding is given as it came.
void gzip_gathered_body_if_accepted(std::string_view accept_encoding, Response& response);

} // namespace jobsessions::http
