// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobsessions::api {

/// `text` decoded as a form's name or value is (percent escapes, `+` a space); nullopt for a bad escape. For
/// what a form's encoding is used for outside a form: the parts of an Authorization: Basic header (RFC 6749 §2.3.1).
std::optional<std::string> form_decoded(std::string_view text);

/// Decoded name/value pairs from a query string or a form body, looked up without regard to the name's case
/// (contract §1 and §2). `+` decodes to a space, as browsers and ASP.NET Core do.
class Params {
public:
    /// Parses `text` (no leading `?`); nullopt when it is not a valid query (a bad percent escape).
    static std::optional<Params> parse(std::string_view text);

    /// The query part of a request target (after `?`), parsed; nullopt when malformed.
    static std::optional<Params> from_target(std::string_view target);

    /// Every value given for `name`, in order, with comma-separated values split and empty ones dropped.
    [[nodiscard]] std::vector<std::string> list(std::string_view name) const;

    /// The first non-empty value given for `name`.
    [[nodiscard]] std::optional<std::string> first(std::string_view name) const;

    /// True when `name` appears, even with an empty value.
    [[nodiscard]] bool has(std::string_view name) const;

    /// All pairs, in order.
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& pairs() const noexcept { return pairs_; }

private:
    std::vector<std::pair<std::string, std::string>> pairs_;
};

} // namespace jobsessions::api
