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
}

std::size_t SessionBodyCache::cost(const Entry& entry) noexcept
{
    return entry.body->text.size() + kEntryOverhead;
}

SessionBodyCache::Generation SessionBodyCache::make_room(std::size_t bytes)
{
    Generation dropped;
    if (newer_bytes_ + bytes > half_capacity_) {
        dropped = std::move(older_);
        older_ = std::move(newer_);
        older_bytes_ = newer_bytes_;
        newer_ = Generation{};
        newer_bytes_ = 0;
    }
    return dropped;
}

SessionBodyCache::Body SessionBodyCache::find_locked(std::int64_t id, std::int64_t usn,
                                                     std::vector<Generation>& dropped)
{
    if (const auto it = newer_.find(id); it != newer_.end()) {
        return it->second.usn == usn ? it->second.body : nullptr;
    }
    auto node = older_.extract(id);
    if (node.empty() || node.mapped().usn != usn) {
        return nullptr;
    }
    Body found = node.mapped().body;
    // Used again: it moves to the newer generation, so that what is read often stays.
    const auto bytes = cost(node.mapped());
    older_bytes_ -= bytes;
    if (auto gone = make_room(bytes); !gone.empty()) {
        dropped.push_back(std::move(gone));
    }
    newer_bytes_ += bytes;
    newer_.insert(std::move(node));
    return found;
}

SessionBodyCache::Body SessionBodyCache::find(std::int64_t id, std::int64_t usn)
{
    std::vector<Generation> dropped;
    std::lock_guard lock(mutex_);
    return find_locked(id, usn, dropped);
}

std::vector<SessionBodyCache::Body> SessionBodyCache::find(const std::vector<store::SessionKey>& sessions)
{
    std::vector<Body> found;
    found.reserve(sessions.size());
    std::vector<Generation> dropped;
    std::lock_guard lock(mutex_);
    for (const auto& session : sessions) {
        found.push_back(find_locked(session.id, session.usn, dropped));
    }
    return found;
}

void SessionBodyCache::keep(std::int64_t id, std::int64_t usn, std::string_view text, std::size_t links_at)
{
    Entry entry{usn, std::make_shared<const KeptBody>(KeptBody{std::string(text), std::min(links_at, text.size())})};
    const auto bytes = cost(entry);
    if (bytes > half_capacity_) {
        return;
    }
    Generation dropped; // freed after the lock is released
    std::lock_guard lock(mutex_);
    if (auto stale = older_.find(id); stale != older_.end()) {
        older_bytes_ -= cost(stale->second);
        older_.erase(stale);
    }
    if (auto it = newer_.find(id); it != newer_.end()) {
        newer_bytes_ -= cost(it->second);
        it->second = std::move(entry);
        newer_bytes_ += bytes;
        return;
    }
    dropped = make_room(bytes);
    newer_bytes_ += bytes;
    newer_.emplace(id, std::move(entry));
}

std::size_t SessionBodyCache::size_bytes()
{
    std::lock_guard lock(mutex_);
    return newer_bytes_ + older_bytes_;
}

} // namespace jobsessions::api
