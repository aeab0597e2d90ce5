// SPDX-License-Identifier: Apache-2.0
#include "cli/terminal.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace jobsessions::cli {

std::optional<std::string> ask_terminal(const std::string& prompt, bool echo)
{
    const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return std::nullopt;
    }
    (void)!::write(fd, prompt.data(), prompt.size()); // a prompt that cannot be shown leaves the answer unchanged
    termios saved{};
    const bool hide = !echo && ::tcgetattr(fd, &saved) == 0;
    if (hide) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    std::string line;
    char c = 0;
    bool ended = false;
    while (::read(fd, &c, 1) == 1) {
        if (c == '\n') {
            ended = true;
            break;
        }
        line.push_back(c);
    }
    if (hide) {
        ::tcsetattr(fd, TCSAFLUSH, &saved);
        (void)!::write(fd, "\n", 1); // the newline the hidden input did not echo
    }
    ::close(fd);
    if (!ended && line.empty()) {
        return std::nullopt;
    }
    return line;
}

} // namespace jobsessions::cli
