// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/log/log.hpp"

#include "jobsessions/util/time.hpp"

#include <unistd.h>

#include <string>

namespace jobsessions::log {

void write(Level level, std::string_view message) noexcept
{
    try {
        std::string line;
        line.reserve(message.size() + 48);
        util::append_timestamp(line, util::now_micros());
        switch (level) {
        case Level::Debug:
            line += " debug ";
            break;
        case Level::Info:
            line += " info ";
            break;
        case Level::Warning:
            line += " warning ";
            break;
        case Level::Error:
            line += " error ";
            break;
        }
        line += message;
        line += '\n';
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
    } catch (...) {
        // Logging must never take the server down.
    }
}

} // namespace jobsessions::log
