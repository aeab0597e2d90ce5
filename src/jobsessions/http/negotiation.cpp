// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/negotiation.hpp"

#include "jobsessions/util/strings.hpp"

namespace jobsessions::http {
namespace {

// True for a q-value of zero: "0", "0.", "0.000".
bool is_zero_quality(std::string_view value) noexcept
{
    if (value.empty() || value.front() != '0') {
        return false;
    }
    value.remove_prefix(1);
    if (!value.empty() && value.front() == '.') {
        value.remove_prefix(1);
    }
    return value.find_first_not_of('0') == std::string_view::npos;
}

// The quality of one list element ("gzip;q=0.5"): false when it is zero.
bool acceptable(std::string_view parameters) noexcept
{
    while (!parameters.empty()) {
        const auto semicolon = parameters.find(';');
        const auto parameter = util::trim(parameters.substr(0, semicolon));
        parameters = semicolon == std::string_view::npos ? std::string_view() : parameters.substr(semicolon + 1);
        const auto equals = parameter.find('=');
        if (equals != std::string_view::npos && util::iequals(util::trim(parameter.substr(0, equals)), "q")) {
            return !is_zero_quality(util::trim(parameter.substr(equals + 1)));
        }
    }
    return true;
}

// Calls `visit` with each trimmed, non-empty element of a comma-separated list, without allocating.
template <typename Visit> void for_each_element(std::string_view list, Visit visit) noexcept
{
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto element = util::trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (!element.empty()) {
            visit(element);
        }
    }
}

} // namespace

bool accepts_coding(std::string_view accept_encoding, std::string_view coding) noexcept
{
    bool by_wildcard = false;
    bool named = false;
    bool named_acceptable = false;
    for_each_element(accept_encoding, [&](std::string_view element) {
        const auto semicolon = element.find(';');
        const auto name = util::trim(element.substr(0, semicolon));
        const auto parameters = semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon);
        if (util::iequals(name, coding)) {
            named = true;
            named_acceptable = acceptable(parameters);
        } else if (name == "*") {
            by_wildcard = acceptable(parameters);
        }
    });
    // A coding named on its own wins over the wildcard ("*, gzip;q=0" refuses gzip).
    return named ? named_acceptable : by_wildcard;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) noexcept
{
    if (util::trim(if_none_match) == "*") {
        return true;
    }
    bool found = false;
    for_each_element(if_none_match, [&](std::string_view candidate) {
        if (candidate.starts_with("W/")) {
            candidate.remove_prefix(2);
        }
        found = found || candidate == etag;
    });
    return found;
}

} // namespace jobsessions::http
