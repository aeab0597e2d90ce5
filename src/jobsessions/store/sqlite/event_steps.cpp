// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/event_steps.hpp"

#include <boost/json.hpp>

#include <libdeflate.h>

#include <memory>

namespace jobsessions::store::sqlite {
namespace {

namespace json = boost::json;

// Level 1: a step's bodies are alike (sessions rendered the same way), and the higher levels cost more time on the
// writer's side for a few percent.
constexpr int kLevel = 1;
constexpr std::size_t kLengthBytes = 4;
// A step holds at most a few hundred sessions' events: anything claiming more than this is not a step.
constexpr std::size_t kMaxPlainSize = std::size_t{256} * 1024 * 1024;

struct CompressorDeleter {
    void operator()(libdeflate_compressor* compressor) const noexcept { libdeflate_free_compressor(compressor); }
};
struct DecompressorDeleter {
    void operator()(libdeflate_decompressor* decompressor) const noexcept
    {
        libdeflate_free_decompressor(decompressor);
    }
};

StoreError unreadable(std::int64_t first_id)
{
    return StoreError{StoreErrc::Corrupt, "the webhook events from " + std::to_string(first_id) + " cannot be read"};
}

std::string plain_form(std::span<const domain::WebhookEventRecord> events)
{
    json::array header;
    header.reserve(events.size());
    std::size_t bodies = 0;
    for (const auto& e : events) {
        json::array fields{e.session_id,
                           json::string(domain::to_string(e.event)),
                           json::string(domain::to_string(e.subject.type)),
                           json::string(domain::to_string(e.subject.status)),
                           nullptr,
                           e.created_at,
                           e.payload.size()};
        if (e.subject.policy_id) {
            fields[4] = json::string(*e.subject.policy_id);
        }
        header.emplace_back(std::move(fields));
        bodies += e.payload.size();
    }
    std::string plain = json::serialize(header);
    plain.reserve(plain.size() + 1 + bodies);
    plain += '\n';
    for (const auto& e : events) {
        plain += e.payload;
    }
    return plain;
}

Result<std::vector<domain::WebhookEventRecord>> read_plain(std::string_view plain, std::int64_t first_id)
{
    const auto newline = plain.find('\n');
    if (newline == std::string_view::npos) {
        return unreadable(first_id);
    }
    boost::system::error_code ec;
    const auto header = json::parse(plain.substr(0, newline), ec);
    if (ec || !header.is_array()) {
        return unreadable(first_id);
    }
    std::string_view bodies = plain.substr(newline + 1);
    std::vector<domain::WebhookEventRecord> events;
    events.reserve(header.get_array().size());
    for (const auto& item : header.get_array()) {
        const auto* fields = item.if_array();
        if (fields == nullptr || fields->size() != 7 || !(*fields)[0].is_int64() || !(*fields)[1].is_string() ||
            !(*fields)[2].is_string() || !(*fields)[3].is_string() ||
            !((*fields)[4].is_null() || (*fields)[4].is_string()) || !(*fields)[5].is_int64() ||
            !(*fields)[6].is_number()) {
            return unreadable(first_id);
        }
        const auto event = domain::parse_webhook_event((*fields)[1].get_string());
        const auto type = domain::parse_session_type((*fields)[2].get_string());
        const auto status = domain::parse_session_status((*fields)[3].get_string());
        const auto length = (*fields)[6].to_number<std::uint64_t>(ec);
        if (!event || !type || !status || ec || length > bodies.size()) {
            return unreadable(first_id);
        }
        domain::WebhookEventRecord e;
        e.id = first_id + static_cast<std::int64_t>(events.size());
        e.session_id = (*fields)[0].get_int64();
        e.event = *event;
        e.subject = {*type, *status,
                     (*fields)[4].is_null() ? std::nullopt : std::optional(std::string((*fields)[4].get_string()))};
        e.created_at = (*fields)[5].get_int64();
        e.payload = std::string(bodies.substr(0, length));
        bodies.remove_prefix(length);
        events.push_back(std::move(e));
    }
    if (!bodies.empty()) {
        return unreadable(first_id);
    }
    return events;
}

} // namespace

std::string pack_event_step(std::span<const domain::WebhookEventRecord> events)
{
    thread_local const std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor(
        libdeflate_alloc_compressor(kLevel));
    const std::string plain = plain_form(events);
    std::string packed(kLengthBytes + libdeflate_deflate_compress_bound(compressor.get(), plain.size()), '\0');
    for (std::size_t i = 0; i < kLengthBytes; ++i) {
        packed[i] = static_cast<char>((plain.size() >> (8 * i)) & 0xFF);
    }
    const std::size_t size = libdeflate_deflate_compress(compressor.get(), plain.data(), plain.size(),
                                                         packed.data() + kLengthBytes, packed.size() - kLengthBytes);
    packed.resize(kLengthBytes + size); // never 0: the bound leaves room for any input
    return packed;
}

Result<std::vector<domain::WebhookEventRecord>> unpack_event_step(std::string_view value, bool packed,
                                                                  std::int64_t first_id)
{
    if (!packed) {
        return read_plain(value, first_id);
    }
    if (value.size() < kLengthBytes) {
        return unreadable(first_id);
    }
    std::size_t plain_size = 0;
    for (std::size_t i = 0; i < kLengthBytes; ++i) {
        plain_size |= std::size_t{static_cast<unsigned char>(value[i])} << (8 * i);
    }
    if (plain_size > kMaxPlainSize) {
        return unreadable(first_id);
    }
    thread_local const std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> decompressor(
        libdeflate_alloc_decompressor());
    std::string plain(plain_size, '\0');
    std::size_t written = 0;
    const auto result =
        libdeflate_deflate_decompress(decompressor.get(), value.data() + kLengthBytes, value.size() - kLengthBytes,
                                      plain.data(), plain.size(), &written);
    if (result != LIBDEFLATE_SUCCESS || written != plain_size) {
        return unreadable(first_id);
    }
    return read_plain(plain, first_id);
}

Result<std::vector<domain::WebhookEventRecord>> read_event_step(const Statement& row)
{
    const bool packed = row.column_is_blob(1);
    return unpack_event_step(packed ? row.column_blob(1) : row.column_text(1), packed, row.column_int64(0));
}

} // namespace jobsessions::store::sqlite
