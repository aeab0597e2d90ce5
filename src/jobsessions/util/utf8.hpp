// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace jobsessions::util {

/// `text` with every byte sequence that is not well-formed UTF-8 replaced by U+FFFD, so that a command's raw
/// output can go into JSON.
std::string to_valid_utf8(std::string_view text);

} // namespace jobsessions::util
