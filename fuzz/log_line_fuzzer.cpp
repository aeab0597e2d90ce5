// SPDX-License-Identifier: Apache-2.0
// Log lines from what clients choose (paths, user names): whatever the bytes, a text line stays one line and a
// JSON line is one object that parses, with the message and the field as they were, made valid UTF-8 and cut.
#include "jobsessions/log/log.hpp"

#include <boost/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // The first NUL splits the input: a message, then a field's value.
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto split = input.find('\0');
    const auto message = input.substr(0, split);
    const auto value = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
    const std::array<log::Field, 3> fields{{{"user", value}, {"status", std::int64_t{404}}, {"path", message, false}}};

    log::set_format(log::Format::Text);
    const auto text = log::format_line(log::Level::Warning, message, fields);
    if (text.empty() || text.find('\n') != text.size() - 1 || text.find('\r') != std::string::npos) {
        std::abort();
    }

    log::set_format(log::Format::Json);
    const auto json = log::format_line(log::Level::Warning, message, fields);
    if (json.find('\n') != json.size() - 1) {
        std::abort();
    }
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(json, ec);
    if (ec || !parsed.is_object() || !parsed.as_object().at("user").is_string() ||
        parsed.as_object().at("user").as_string().size() > 3 * 1024 + 3 ||
        parsed.as_object().at("status").as_int64() != 404) {
        std::abort();
    }
    return 0;
}
