// SPDX-License-Identifier: Apache-2.0
#include "cli/sse.hpp"

namespace jobsessions::cli {

SseParser::SseParser(std::function<void(const SseEvent&)> on_event)
    : on_event_(std::move(on_event))
{
}

void SseParser::feed(std::string_view bytes)
{
    for (const char c : bytes) {
        if (after_cr_ && c == '\n') {
            after_cr_ = false; // the LF of a CR LF
            continue;
        }
        after_cr_ = c == '\r';
        if (c == '\n' || c == '\r') {
            line(pending_);
            pending_.clear();
        } else {
            pending_.push_back(c);
        }
    }
}

void SseParser::line(std::string_view text)
{
    if (text.empty()) {
        if (has_data_) {
            on_event_(event_);
        }
        // The last event id stays, as in a browser; type and data start again.
        event_.type = "message";
        event_.data.clear();
        has_data_ = false;
        return;
    }
    if (text.front() == ':') {
        return; // a comment: the server's heartbeat
    }
    const auto colon = text.find(':');
    const auto field = text.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_) {
            event_.data.push_back('\n');
        }
        event_.data.append(value);
        has_data_ = true;
    } else if (field == "event") {
        event_.type = std::string(value);
    } else if (field == "id" && value.find('\0') == std::string_view::npos) {
        event_.id = std::string(value);
    }
}

} // namespace jobsessions::cli
