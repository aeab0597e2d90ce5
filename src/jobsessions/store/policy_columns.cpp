// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/policy_columns.hpp"

#include <boost/json.hpp>

#include <limits>

namespace jobsessions::store {
namespace {

std::optional<boost::json::array> parse_array(std::string_view text)
{
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec || !value.is_array()) {
        return std::nullopt;
    }
    return std::move(value.get_array());
}

} // namespace

std::string encode_words(const std::vector<std::string>& words)
{
    boost::json::array array;
    for (const auto& word : words) {
        array.emplace_back(boost::json::string(word));
    }
    return boost::json::serialize(array);
}

std::string encode_environment(const std::vector<std::pair<std::string, std::string>>& environment)
{
    boost::json::array array;
    for (const auto& [name, value] : environment) {
        array.emplace_back(boost::json::array{boost::json::string(name), boost::json::string(value)});
    }
    return boost::json::serialize(array);
}

std::string encode_exit_codes(const std::vector<int>& codes)
{
    boost::json::array array;
    for (const auto code : codes) {
        array.emplace_back(code);
    }
    return boost::json::serialize(array);
}

std::optional<std::vector<std::string>> decode_words(std::string_view text)
{
    const auto array = parse_array(text);
    if (!array) {
        return std::nullopt;
    }
    std::vector<std::string> words;
    for (const auto& v : *array) {
        if (!v.is_string()) {
            return std::nullopt;
        }
        words.emplace_back(v.get_string());
    }
    return words;
}

std::optional<std::vector<std::pair<std::string, std::string>>> decode_environment(std::string_view text)
{
    const auto array = parse_array(text);
    if (!array) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> environment;
    for (const auto& v : *array) {
        if (!v.is_array() || v.get_array().size() != 2 || !v.get_array()[0].is_string() ||
            !v.get_array()[1].is_string()) {
            return std::nullopt;
        }
        environment.emplace_back(std::string(v.get_array()[0].get_string()),
                                 std::string(v.get_array()[1].get_string()));
    }
    return environment;
}

std::optional<std::vector<int>> decode_exit_codes(std::string_view text)
{
    const auto array = parse_array(text);
    if (!array) {
        return std::nullopt;
    }
    std::vector<int> codes;
    for (const auto& v : *array) {
        if (!v.is_int64() || v.get_int64() < std::numeric_limits<int>::min() ||
            v.get_int64() > std::numeric_limits<int>::max()) {
            return std::nullopt;
        }
        codes.push_back(static_cast<int>(v.get_int64()));
    }
    return codes;
}

} // namespace jobsessions::store
