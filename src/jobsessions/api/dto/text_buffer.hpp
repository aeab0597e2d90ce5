// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/dto/json_text.hpp"
#include "jobsessions/util/time.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace jobsessions::api::dto {

/// Builds JSON text in a buffer on the stack and appends it to a string in pieces of up to a kilobyte: an
/// answer's many small fields then cost a copy each instead of a string append each. Appends what is left
/// when it goes out of scope.
class TextBuffer {
public:
    explicit TextBuffer(std::string& out) noexcept
        : out_(out)
    {
    }
    ~TextBuffer() { flush(); }
    TextBuffer(const TextBuffer&) = delete;
    TextBuffer& operator=(const TextBuffer&) = delete;

    /// Text that needs no escaping (JSON syntax, names of enumerations, numbers).
    void raw(std::string_view text)
    {
        if (text.size() > room()) {
            flush();
            if (text.size() > sizeof buffer_) {
                out_.append(text);
                return;
            }
        }
        std::memcpy(end_, text.data(), text.size());
        end_ += text.size();
    }
    void raw(char c)
    {
        make_room(1);
        *end_++ = c;
    }
    void integer(std::int64_t value)
    {
        make_room(20);
        end_ = std::to_chars(end_, buffer_ + sizeof buffer_, value).ptr;
    }
    void boolean(bool value) { raw(value ? std::string_view("true") : std::string_view("false")); }
    /// A quoted API timestamp.
    void timestamp(util::Micros t)
    {
        make_room(util::kMaxTimestampChars + 2);
        *end_++ = '"';
        end_ = util::put_timestamp(end_, t);
        *end_++ = '"';
    }
    /// A quoted TimeSpan.
    void timespan(util::Micros duration)
    {
        make_room(util::kMaxTimespanChars + 2);
        *end_++ = '"';
        end_ = util::put_timespan(end_, duration);
        *end_++ = '"';
    }
    /// A quoted JSON string, escaped where needed.
    void string(std::string_view text)
    {
        if (is_plain_json_text(text) && text.size() + 2 <= sizeof buffer_) {
            make_room(text.size() + 2);
            *end_++ = '"';
            raw(text);
            *end_++ = '"';
            return;
        }
        flush();
        append_json_string(out_, text);
    }

private:
    [[nodiscard]] std::size_t room() const noexcept
    {
        return static_cast<std::size_t>(buffer_ + sizeof buffer_ - end_);
    }
    void make_room(std::size_t n)
    {
        if (n > room()) {
            flush();
        }
    }
    void flush()
    {
        out_.append(buffer_, end_);
        end_ = buffer_;
    }

    std::string& out_;
    char buffer_[1024];
    char* end_ = buffer_;
};

} // namespace jobsessions::api::dto
