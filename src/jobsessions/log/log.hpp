// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace jobsessions::log {

/// How much a line matters.
enum class Level : std::uint8_t { Debug, Info, Warning, Error };

/// How lines are written: text for a terminal, or one JSON object per line for journald, Loki and the like.
enum class Format : std::uint8_t { Text, Json };

/// Sets how every later line is written (text until then). Thread-safe.
void set_format(Format format) noexcept;

/// How lines are written now.
[[nodiscard]] Format format() noexcept;

/// A named value a line carries besides its message: a JSON line's member, a text line's `name=value`.
struct Field {
    std::string_view name;
    std::variant<std::string_view, std::int64_t> value;
    /// False for what a text line's message already says (a request's method and status); JSON lines name it.
    bool in_text = true;
};

/// One line as write() would put it, with its newline, for a stream other than stderr.
[[nodiscard]] std::string format_line(Level level, std::string_view message, std::span<const Field> fields);

/// Writes one line to stderr: UTC time, level, message, fields. In text, a value with a space, a quote, an '=' or a
/// control character is quoted and escaped as in JSON, and so is any control character of the message, so that
/// what a client sent can never start a line of its own or pass for another field. One write call per line, so
/// lines from many threads never interleave. Thread-safe.
void write(Level level, std::string_view message, std::span<const Field> fields) noexcept;

/// Writes one line without fields.
inline void write(Level level, std::string_view message) noexcept
{
    write(level, message, std::span<const Field>());
}

/// Writes one line with these fields.
inline void write(Level level, std::string_view message, std::initializer_list<Field> fields) noexcept
{
    write(level, message, std::span<const Field>(fields.begin(), fields.size()));
}

/// Writes a line the operator reads when the server starts or cannot: in text "jobsessiond: MESSAGE" without
/// time or level (a terminal needs neither, the journal adds its own), in JSON a line like any other.
void announce(Level level, std::string_view message) noexcept;

/// Writes an informational line.
inline void info(std::string_view message) noexcept
{
    write(Level::Info, message);
}
/// Writes a warning line.
inline void warning(std::string_view message) noexcept
{
    write(Level::Warning, message);
}
/// Writes an error line.
inline void error(std::string_view message) noexcept
{
    write(Level::Error, message);
}

} // namespace jobsessions::log
