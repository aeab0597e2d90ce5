// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/gzip.hpp"

#include "jobsessions/http/negotiation.hpp"

#include <libdeflate.h>

#include <memory>
#include <new>

namespace jobsessions::http {
namespace {

struct CompressorDeleter {
    void operator()(libdeflate_compressor* compressor) const noexcept { libdeflate_free_compressor(compressor); }
};

// Level 1, as nginx's default: on JSON the higher levels cost twice the time for a few percent.
constexpr int kLevel = 1;

// What each thread keeps for compressed output (see gzip()).
constexpr std::size_t kKeptRoom = std::size_t{256} * 1024;

// A compressor holds its working tables (a few hundred KiB); each thread keeps one.
libdeflate_compressor* thread_compressor() noexcept
{
    thread_local const std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor(
        libdeflate_alloc_compressor(kLevel));
    return compressor.get();
}

} // namespace

bool gzip(std::string_view input, std::string& output)
{
    auto* compressor = thread_compressor();
    if (compressor == nullptr) {
        return false;
    }
    // Each thread keeps room for one compressed body: memory the system must fault in afresh for every answer
    // would cost more than the compression itself. JSON shrinks ten- to thirty-fold, so a body of several MB fits.
    thread_local const std::unique_ptr<char[]> kept_room(new (std::nothrow) char[kKeptRoom]);
    std::size_t size = 0;
    if (kept_room != nullptr) {
        size = libdeflate_gzip_compress(compressor, input.data(), input.size(), kept_room.get(), kKeptRoom);
    }
    const char* compressed = kept_room.get();
    std::unique_ptr<char[]> room;
    if (size == 0) {
        // It did not fit: room for the worst case, left uninitialized so that only the pages written are touched.
        const std::size_t bound = libdeflate_gzip_compress_bound(compressor, input.size());
        room.reset(new (std::nothrow) char[bound]);
        if (room == nullptr) {
            return false;
        }
        size = libdeflate_gzip_compress(compressor, input.data(), input.size(), room.get(), bound);
        if (size == 0) {
            return false; // cannot happen with the bound's room
        }
        compressed = room.get();
    }
    try {
        output.assign(compressed, size);
    } catch (const std::bad_alloc&) {
        return false;
    }
    return true;
}

void gzip_body_if_accepted(const Request& request, Response& response)
{
    if (response.stream != nullptr) {
        return;
    }
    gzip_gathered_body_if_accepted(request.accept_encoding, response);
}

void gzip_gathered_body_if_accepted(std::string_view accept_encoding, Response& response)
{
    if (response.static_body.data() != nullptr || response.status == 204 || response.status == 304) {
        return;
    }
    const std::string_view body = response.body_text();
    if (body.size() < kSmallestGzippedBody) {
        return;
    }
    response.add_header("Vary", "Accept-Encoding");
    if (!accepts_coding(accept_encoding, "gzip")) {
        return;
    }
    if (response.shared_body != nullptr && response.shared_gzipped_body != nullptr) {
        response.shared_body = std::move(response.shared_gzipped_body); // compressed once, with the kept body
        response.add_header("Content-Encoding", "gzip");
        return;
    }
    // Into the body's own buffer, which keeps its capacity: freeing a megabyte here and asking for it again on the
    // next answer would have the system fault it in afresh.
    if (!gzip(body, response.body)) {
        return; // sent as it is: compressing is an optimization, never a reason to fail
    }
    response.shared_body.reset();
    response.add_header("Content-Encoding", "gzip");
}

} // namespace jobsessions::http
