// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace jobsessions::http {

/// True when an Accept-Encoding field value accepts `coding` ("gzip", "br"): named, or matched by "*", with a
/// q-value above zero (RFC 9110, 12.5.3).
[[nodiscard]] bool accepts_coding(std::string_view accept_encoding, std::string_view coding) noexcept;

/// True when an If-None-Match field value names `etag` (weak comparison, RFC 9110, 13.1.2) or is "*".
[[nodiscard]] bool etag_matches(std::string_view if_none_match, std::string_view etag) noexcept;

} // namespace jobsessions::http
