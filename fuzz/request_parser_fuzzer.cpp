// SPDX-License-Identifier: Apache-2.0
// The HTTP request parser with the server's limits, fed in pieces as reads would bring them: it never reads past
// its input, and what it accepts is self-consistent.
#include "jobsessions/http/limits.hpp"
#include "jobsessions/http/request_parser.hpp"

#include <boost/beast/http/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace jobsessions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) {
        return 0;
    }
    // The first byte picks the size of the pieces the bytes arrive in (1 to 256).
    const std::size_t piece = std::size_t{data[0]} + 1;
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    const http::Limits limits;
    std::string arena;
    std::string body;
    http::RequestParser parser(arena, body);
    parser.header_limit(limits.header_bytes);
    parser.body_limit(limits.body_bytes);
    parser.eager(true);
    std::string buffer;
    std::size_t offset = 0;
    boost::beast::error_code ec;
    while (offset < input.size() && !parser.is_done()) {
        buffer.append(input.substr(offset, piece));
        offset += std::min(piece, input.size() - offset);
        const auto used = parser.put(boost::asio::buffer(buffer), ec);
        buffer.erase(0, used);
        if (ec == boost::beast::http::error::need_more) {
            ec = {};
            continue;
        }
        if (ec) {
            break;
        }
    }
    http::Request request;
    if (!ec && parser.is_done()) {
        parser.fill(request);
        // What was accepted hangs together: a body of the length the parser read, a target where one was given.
        if (request.body.size() != body.size() || request.target.empty()) {
            std::abort();
        }
    } else if (parser.got_some()) {
        parser.fill_request_line(request);
    }
    return 0;
}
