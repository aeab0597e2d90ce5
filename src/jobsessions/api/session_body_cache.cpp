// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/session_body_cache.hpp"

#include <algorithm>

namespace jobsessions::api {
namespace {

/// What an entry costs besides its text: the map's node and bucket, the shared body's control block and header.
constexpr std::size_t kEntryOverhead = 96;

} // namespace

SessionBodyCache::SessionBodyCache(std::size_t capacity_bytes)
    : half_capacity_(capacity_bytes / 2)
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

void SessionBodyCache::make_room(std::size_t bytes, Freed& freed)
{
    // Four entries of the dropped generation go for each one added: it is gone long before the newer one fills.
    for (int i = 0; i < 4 && !retiring_.empty(); ++i) {
        freed.entries.push_back(retiring_.extract(retiring_.begin()));
    }
    if (newer_bytes_ + bytes > half_capacity_) {
        freed.generation = std::move(retiring_); // what is left of it, if entries came in faster than that
        retiring_ = std::move(older_);
        older_ = std::move(newer_);
        older_bytes_ = newer_bytes_;
        newer_ = Generation{};
        newer_.reserve(older_.size()); // no rehash of a growing table while it fills up again
        newer_bytes_ = 0;
    }
    newer_bytes_ += bytes;
}

SessionBodyCache::Body SessionBodyCache::find_locked(std::int64_t id, std::int64_t usn, Freed& freed)
{
    if (const auto it = newer_.find(id); it != newer_.end()) {
        return it->second.usn == usn ? it->second.body : nullptr;
    }
    auto node = older_.extract(id);
    if (node.empty()) {
        return nullptr;
    }
    if (node.mapped().usn != usn) { // the session changed since: its kept body is of no more use
        older_bytes_ -= cost(node.mapped());
        freed.entries.push_back(std::move(node));
        return nullptr;
    }
    Body found = node.mapped().body;
    // Used again: it moves to the newer generation, so that what is read often stays.
    const auto bytes = cost(node.mapped());
    older_bytes_ -= bytes;
    make_room(bytes, freed);
    newer_.insert(std::move(node));
    return found;
}

SessionBodyCache::Body SessionBodyCache::find(std::int64_t id, std::int64_t usn)
{
    Freed freed;
    std::lock_guard lock(mutex_);
    return find_locked(id, usn, freed);
}

std::vector<SessionBodyCache::Body> SessionBodyCache::find(const std::vector<store::SessionKey>& sessions)
{
    std::vector<Body> found;
    found.reserve(sessions.size());
    Freed freed;
    std::lock_guard lock(mutex_);
    for (const auto& session : sessions) {
        found.push_back(find_locked(session.id, session.usn, freed));
    }
    return found;
}

void SessionBodyCache::keep(std::int64_t id, std::int64_t usn, std::string_view text, std::size_t links_at)
{
    if (!offered_before(id, usn)) {
        return;
    }
    Entry entry{usn, std::make_shared<const KeptBody>(KeptBody{std::string(text), std::min(links_at, text.size())})};
    const auto bytes = cost(entry);
    if (bytes > half_capacity_) {
        return;
    }
    Freed freed;
    std::lock_guard lock(mutex_);
    if (auto stale = older_.find(id); stale != older_.end()) {
        older_bytes_ -= cost(stale->second);
        freed.entries.push_back(older_.extract(stale));
    }
    if (auto it = newer_.find(id); it != newer_.end()) {
        newer_bytes_ -= cost(it->second);
        std::swap(it->second, entry); // the old entry is freed with `entry`, after the lock
        newer_bytes_ += bytes;
        return;
    }
    make_room(bytes, freed);
    newer_.emplace(id, std::move(entry));
}

std::size_t SessionBodyCache::size_bytes()
{
    std::lock_guard lock(mutex_);
    return newer_bytes_ + older_bytes_;
}

} // namespace jobsessions::api
