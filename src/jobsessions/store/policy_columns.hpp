// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobsessions::store {

/// How every backend stores a policy's lists in a text column: JSON arrays, so that one column holds a list and a
/// store written by one backend reads the same in another (the migration between them copies the text).

/// The command's words: `["/usr/bin/backup","--all"]`.
std::string encode_words(const std::vector<std::string>& words);
/// The environment in its order: `[["NAME","value"],...]`.
std::string encode_environment(const std::vector<std::pair<std::string, std::string>>& environment);
/// Exit codes: `[3,7]`.
std::string encode_exit_codes(const std::vector<int>& codes);

/// The same, read back; nullopt when the text is not what the encoder writes.
std::optional<std::vector<std::string>> decode_words(std::string_view text);
std::optional<std::vector<std::pair<std::string, std::string>>> decode_environment(std::string_view text);
std::optional<std::vector<int>> decode_exit_codes(std::string_view text);

} // namespace jobsessions::store
