// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/output_lines.hpp"

#include "jobsessions/util/utf8.hpp"

namespace jobsessions::runner {

std::vector<std::string> OutputLines::take(bool final)
{
    std::vector<std::string> lines;
    const auto emit = [&](std::string_view line) {
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.push_back(util::to_valid_utf8(line));
    };
    const std::string_view text = pending_;
    std::size_t begin = 0;
    while (begin < text.size()) {
        const auto newline = text.find('\n', begin);
        const auto length = (newline == std::string_view::npos ? text.size() : newline) - begin;
        // A piece is split off only from a line longer than kMaxLine, not counting a CR before its newline (or one
        // that may be): a line of exactly kMaxLine bytes waits for its newline and is one entry, not that and an
        // empty one.
        const bool ends_in_cr = length > 0 && text[begin + length - 1] == '\r';
        if (length - (ends_in_cr ? 1 : 0) > kMaxLine) {
            // Cut before a UTF-8 continuation byte's character, so that no character is split in two.
            std::size_t cut = kMaxLine;
            while (cut > kMaxLine - 3 && (static_cast<unsigned char>(text[begin + cut]) & 0xC0U) == 0x80U) {
                --cut;
            }
            emit(text.substr(begin, cut));
            begin += cut;
        } else if (newline != std::string_view::npos) {
            emit(text.substr(begin, length));
            begin = newline + 1;
        } else {
            if (final) {
                emit(text.substr(begin));
                begin = text.size();
            }
            break;
        }
    }
    pending_.erase(0, begin);
    return lines;
}

} // namespace jobsessions::runner
