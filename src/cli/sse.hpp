// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace jobsessions::cli {

/// One Server-Sent Event.
struct SseEvent {
    std::string id;
    std::string type = "message";
    std::string data;
};

/// Splits a text/event-stream into events as its bytes arrive, by the rules of the HTML standard's event stream
/// interpretation: lines end in LF, CR LF or CR; `:` starts a comment; `data` lines join with LF; a blank line
/// dispatches; an event with no data is not dispatched.
class SseParser {
public:
    explicit SseParser(std::function<void(const SseEvent&)> on_event);

    void feed(std::string_view bytes);

private:
    void line(std::string_view text);

    std::function<void(const SseEvent&)> on_event_;
    std::string pending_;
    bool after_cr_ = false;
    SseEvent event_;
    bool has_data_ = false;
};

} // namespace jobsessions::cli
