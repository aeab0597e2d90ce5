// SPDX-License-Identifier: Apache-2.0
#include "support/gunzip.hpp"

#include <zlib.h>

#include <array>

namespace jobsessions::test {

std::optional<std::string> gunzip(std::string_view compressed)
{
    z_stream stream{};
    // 16 + MAX_WBITS: a gzip header and trailer around the deflate data, checked.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
        return std::nullopt;
    }
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    std::string out;
    std::array<char, 64 * 1024> buffer{};
    int result = Z_OK;
    while (result == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
        stream.avail_out = static_cast<uInt>(buffer.size());
        result = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer.data(), buffer.size() - stream.avail_out);
        if (result == Z_BUF_ERROR && stream.avail_in == 0) {
            break; // the input ended before the member did
        }
    }
    const bool whole = result == Z_STREAM_END && stream.avail_in == 0;
    inflateEnd(&stream);
    if (!whole) {
        return std::nullopt;
    }
    return out;
}

} // namespace jobsessions::test
