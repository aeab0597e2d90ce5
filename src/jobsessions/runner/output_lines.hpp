// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::runner {

/// Splits what a command writes into the lines of its log: at each newline (a CR before it dropped), a line
/// longer than the longest entry in pieces cut between UTF-8 characters, each made valid UTF-8. What has no
/// newline yet waits for more, unless it is the end.
class OutputLines {
public:
    /// The longest entry; longer lines are split into entries of at most this many bytes.
    static constexpr std::size_t kMaxLine = std::size_t{64} * 1024;

    /// Adds bytes the command wrote.
    void feed(std::string_view bytes) { pending_.append(bytes); }

    /// The complete lines so far, oldest first; with `final` (the output has ended), the rest as a last line.
    std::vector<std::string> take(bool final);

    /// Bytes waiting for their newline.
    [[nodiscard]] std::size_t pending() const noexcept { return pending_.size(); }

private:
    std::string pending_;
};

} // namespace jobsessions::runner
