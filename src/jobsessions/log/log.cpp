// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/log/log.hpp"

#include "jobsessions/util/strings.hpp"
#include "jobsessions/util/time.hpp"
#include "jobsessions/util/utf8.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <atomic>
#include <string>

namespace jobsessions::log {
namespace {

std::atomic<Format> g_format{Format::Text};

/// The most bytes of a field's value a line keeps: a client may send a megabyte where a user name goes.
constexpr std::size_t kMaxValueBytes = 1024;

/// `text` cut to kMaxValueBytes, as valid UTF-8 (a byte that is not becomes U+FFFD).
std::string shown_value(std::string_view text)
{
    if (text.size() <= kMaxValueBytes) {
        return util::to_valid_utf8(text);
    }
    return util::to_valid_utf8(text.substr(0, kMaxValueBytes)) + "...";
}

std::string_view level_name(Level level)
{
    switch (level) {
    case Level::Debug:
        return "debug";
    case Level::Info:
        return "info";
    case Level::Warning:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "info";
}

bool is_control(char c)
{
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

/// True when a text line must quote the value: it would otherwise read as several fields, or not at all.
bool needs_quotes(std::string_view value)
{
    if (value.empty()) {
        return true;
    }
    for (const char c : value) {
        if (c == ' ' || c == '"' || c == '=' || c == '\\' || is_control(c)) {
            return true;
        }
    }
    return false;
}

void append_text_message(std::string& line, std::string_view message)
{
    for (const char c : message) {
        if (is_control(c)) {
            // As JSON writes it, so the line stays one line.
            const auto escaped = boost::json::serialize(boost::json::string_view(&c, 1));
            line.append(escaped, 1, escaped.size() - 2);
        } else {
            line += c;
        }
    }
}

void append_text_fields(std::string& line, std::span<const Field> fields)
{
    for (const auto& field : fields) {
        if (!field.in_text) {
            continue;
        }
        line += ' ';
        line += field.name;
        line += '=';
        if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
            util::append_int(line, *number);
            continue;
        }
        const auto text = shown_value(std::get<std::string_view>(field.value));
        if (needs_quotes(text)) {
            line += boost::json::serialize(boost::json::string_view(text));
        } else {
            line += text;
        }
    }
}

std::string json_line(Level level, std::string_view message, std::span<const Field> fields)
{
    boost::json::object object;
    object["time"] = util::format_timestamp(util::now_micros());
    object["level"] = level_name(level);
    object["message"] = util::to_valid_utf8(message);
    for (const auto& field : fields) {
        const boost::json::string_view name(field.name.data(), field.name.size());
        if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
            object[name] = *number;
        } else {
            object[name] = shown_value(std::get<std::string_view>(field.value));
        }
    }
    auto line = boost::json::serialize(object);
    line += '\n';
    return line;
}

void write_all(const std::string& line) noexcept
{
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, data, left);
        if (n <= 0) {
            return;
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
}

} // namespace

void set_format(Format format) noexcept
{
    g_format.store(format, std::memory_order_relaxed);
}

Format format() noexcept
{
    return g_format.load(std::memory_order_relaxed);
}

std::string format_line(Level level, std::string_view message, std::span<const Field> fields)
{
    if (format() == Format::Json) {
        return json_line(level, message, fields);
    }
    std::string line;
    line.reserve(message.size() + 48);
    util::append_timestamp(line, util::now_micros());
    line += ' ';
    line += level_name(level);
    line += ' ';
    append_text_message(line, message);
    append_text_fields(line, fields);
    line += '\n';
    return line;
}

void write(Level level, std::string_view message, std::span<const Field> fields) noexcept
{
    try {
        write_all(format_line(level, message, fields));
    } catch (...) {
        // Logging must never take the server down.
    }
}

void announce(Level level, std::string_view message) noexcept
{
    try {
        if (format() == Format::Json) {
            write_all(json_line(level, message, {}));
            return;
        }
        std::string line = "jobsessiond: ";
        append_text_message(line, message);
        line += '\n';
        write_all(line);
    } catch (...) {
        // Logging must never take the server down.
    }
}

} // namespace jobsessions::log
