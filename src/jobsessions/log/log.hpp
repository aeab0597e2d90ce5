// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

namespace jobsessions::log {

/// How much a line matters.
enum class Level : std::uint8_t { Debug, Info, Warning, Error };

/// Writes one line to stderr: UTC time, level, message. One write call per line, so lines from many threads
/// never interleave. Thread-safe.
void write(Level level, std::string_view message) noexcept;

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
