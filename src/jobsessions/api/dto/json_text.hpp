// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace jobsessions::api::dto {

/// Appends `text` as a quoted, escaped JSON string (escaping done by Boost.JSON's serializer).
void append_json_string(std::string& out, std::string_view text);

/// True when `text` goes into a JSON string as it is: no quote, backslash or control character.
bool is_plain_json_text(std::string_view text) noexcept;

} // namespace jobsessions::api::dto
