// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/session_body_cache.hpp"

#include <algorithm>

namespace jobsessions::api {
namespace {

/// What an entry costs besides its text: the map's node and bucket, the shared body's control block and header.
constexpr std::size_t kEntryOverhead = 96;

} // namespace

SessionBodyCache::SessionBodyCache(std::size_t capacity_bytes)
    : cache_(capacity_bytes)
{
    if (capacity_bytes == 0) {
        return;
    }
    // A slot for each half kilobyte the cache can hold (about a body), a power of two of at least 1,024.
    std::size_t slots = 1024;
    while (slots < capacity_bytes / 512 && slots < (std::size_t{1} << 24)) {
        slots *= 2;
    }
    offered_ = std::make_unique<std::atomic<std::uint64_t>[]>(slots);
    offered_mask_ = slots - 1;
}

bool SessionBodyCache::offered_before(std::int64_t id, std::int64_t usn) noexcept
{
    if (offered_ == nullptr) {
        return false;
    }
    // Two multiplicative hashes mixed: middle bits pick the slot, the whole (never 0) is the tag.
    const std::uint64_t hash = (static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ULL) ^
                               (static_cast<std::uint64_t>(usn) * 0xC2B2AE3D27D4EB4FULL);
    const std::uint64_t tag = hash | 1U;
    auto& slot = offered_[(hash >> 17) & offered_mask_];
    if (slot.load(std::memory_order_relaxed) == tag) {
        return true;
    }
    slot.store(tag, std::memory_order_relaxed);
    return false;
}

std::size_t SessionBodyCache::cost(const Entry& entry) noexcept
{
    return entry.body->text.size() + kEntryOverhead;
}

void SessionBodyCache::retire(Cache::Evicted& evicted)
{
    // Four entries of the evicted generation go for each one kept or found: it is gone long before the newer
    // generation fills.
    for (int i = 0; i < 4 && !retiring_.empty(); ++i) {
        evicted.entries.push_back(retiring_.extract(retiring_.begin()));
    }
    if (!evicted.generations.empty()) {
        // What is left of the one before, if entries came in faster than that, is freed at once.
        std::swap(retiring_, evicted.generations.back());
    }
}

SessionBodyCache::Body SessionBodyCache::find_locked(std::int64_t id, std::int64_t usn, Cache::Evicted& evicted)
{
    // A body kept at another usn is of a session that changed since (or of a reader behind one that did).
    const auto* entry = cache_.find(id, evicted, [usn](const Entry& kept) { return kept.usn == usn; });
    retire(evicted);
    return entry != nullptr ? entry->body : nullptr;
}

SessionBodyCache::Body SessionBodyCache::find(std::int64_t id, std::int64_t usn)
{
    Cache::Evicted evicted;
    std::lock_guard lock(mutex_);
    return find_locked(id, usn, evicted);
}

std::vector<SessionBodyCache::Body> SessionBodyCache::find(const std::vector<store::SessionKey>& sessions)
{
    std::vector<Body> found;
    found.reserve(sessions.size());
    Cache::Evicted evicted;
    std::lock_guard lock(mutex_);
    for (const auto& session : sessions) {
        found.push_back(find_locked(session.id, session.usn, evicted));
    }
    return found;
}

SessionBodyCache::Body SessionBodyCache::keep(std::int64_t id, std::int64_t usn, std::string_view text,
                                              std::size_t links_at)
{
    if (!offered_before(id, usn)) {
        return nullptr;
    }
    Entry entry{usn, std::make_shared<const KeptBody>(KeptBody{std::string(text), std::min(links_at, text.size())})};
    auto body = entry.body;
    const auto bytes = cost(entry);
    Cache::Evicted evicted;
    std::lock_guard lock(mutex_);
    cache_.keep(id, std::move(entry), bytes, evicted);
    retire(evicted);
    return body;
}

std::size_t SessionBodyCache::size_bytes()
{
    std::lock_guard lock(mutex_);
    return cache_.cost();
}

} // namespace jobsessions::api
