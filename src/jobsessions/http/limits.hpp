// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace jobsessions::http {

/// Every transport limit and timeout, with its default, in one place.
struct Limits {
    /// Request line and header fields together; beyond it the answer is 431. Kestrel's default, so every
    /// request the compatible product accepts is accepted here too.
    std::uint32_t header_bytes = 32 * 1024;
    /// Request body; beyond it the answer is 413.
    std::uint64_t body_bytes = std::uint64_t{1024} * 1024;
    /// From the first byte of a request until it has been read whole.
    std::chrono::seconds request_timeout{30};
    /// How long an idle keep-alive connection is kept open.
    std::chrono::seconds idle_timeout{75};
    /// Writing one response.
    std::chrono::seconds write_timeout{30};
    /// The TLS handshake.
    std::chrono::seconds handshake_timeout{10};
    /// Open connections; further ones are closed at once.
    std::size_t max_connections = 10'000;
    /// On shutdown, how long requests in flight may take to finish.
    std::chrono::seconds shutdown_grace{30};
};

} // namespace jobsessions::http
