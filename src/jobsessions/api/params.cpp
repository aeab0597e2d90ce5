// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/params.hpp"

#include "jobsessions/util/strings.hpp"

#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse_query.hpp>

namespace jobsessions::api {
namespace {

std::string decoded(boost::urls::pct_string_view text)
{
    // Most names and values have nothing to decode: copied as they are.
    const std::string_view raw(text.data(), text.size());
    if (text.decoded_size() == text.size() && raw.find('+') == std::string_view::npos) {
        return std::string(raw);
    }
    boost::urls::encoding_opts options;
    options.space_as_plus = true;
    return text.decode(options);
}

} // namespace

std::optional<std::string> form_decoded(std::string_view text)
{
    const auto valid = boost::urls::make_pct_string_view(text);
    if (!valid) {
        return std::nullopt;
    }
    return decoded(*valid);
}

std::optional<Params> Params::parse(std::string_view text)
{
    Params params;
    if (text.empty()) {
        return params;
    }
    // Boost.URL 1.81 reads the last value of a query up to a NUL, past the end of a view into a larger buffer;
    // a copy of its own ends where the query ends.
    const std::string owned(text);
    const auto encoded = boost::urls::parse_query(owned);
    if (!encoded) {
        return std::nullopt;
    }
    params.pairs_.reserve(encoded->size());
    for (const auto& param : *encoded) {
        params.pairs_.emplace_back(decoded(param.key), param.has_value ? decoded(param.value) : "");
    }
    return params;
}

std::optional<Params> Params::from_target(std::string_view target)
{
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return Params{};
    }
    auto query = target.substr(question + 1);
    if (const auto hash = query.find('#'); hash != std::string_view::npos) {
        query = query.substr(0, hash);
    }
    return parse(query);
}

std::vector<std::string> Params::list(std::string_view name) const
{
    std::vector<std::string> values;
    for (const auto& [key, value] : pairs_) {
        if (!util::iequals(key, name)) {
            continue;
        }
        for (const auto item : util::split_list(value)) {
            values.emplace_back(item);
        }
    }
    return values;
}

std::optional<std::string> Params::first(std::string_view name) const
{
    for (const auto& [key, value] : pairs_) {
        if (util::iequals(key, name) && !value.empty()) {
            return value;
        }
    }
    return std::nullopt;
}

bool Params::has(std::string_view name) const
{
    for (const auto& [key, value] : pairs_) {
        if (util::iequals(key, name)) {
            return true;
        }
    }
    return false;
}

} // namespace jobsessions::api
