// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/json_text.hpp"

#include <boost/json/serializer.hpp>

namespace jobsessions::api::dto {
bool is_plain_json_text(std::string_view text) noexcept
{
    for (const char c : text) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            return false;
        }
    }
    return true;
}

void append_json_string(std::string& out, std::string_view text)
{
    // Most of what we print (ids, names, timestamps) needs no escaping; skip the serializer for those.
    if (is_plain_json_text(text)) {
        out.push_back('"');
        out.append(text);
        out.push_back('"');
        return;
    }
    boost::json::serializer serializer;
    serializer.reset(boost::json::string_view(text.data(), text.size()));
    char buffer[512];
    while (!serializer.done()) {
        const auto chunk = serializer.read(buffer, sizeof buffer);
        out.append(chunk.data(), chunk.size());
    }
}

} // namespace jobsessions::api::dto
