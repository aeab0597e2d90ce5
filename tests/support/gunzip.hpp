// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::test {

/// Decodes a gzip body as a client does, with zlib (not the library the server compresses with); nullopt when it
/// is not one whole, valid gzip member.
std::optional<std::string> gunzip(std::string_view compressed);

} // namespace jobsessions::test
