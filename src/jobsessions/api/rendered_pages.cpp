// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/rendered_pages.hpp"

#include <algorithm>

namespace jobsessions::api {
namespace {

/// What a page costs besides its key and text: the map's node, the shared page's control block and header.
constexpr std::size_t kPageOverhead = 160;

} // namespace

RenderedPages::RenderedPages(std::size_t capacity_bytes)
    : capacity_(capacity_bytes)
{
}

std::size_t RenderedPages::cost(const std::string& key, const Page& page) noexcept
{
    // The bodies a page holds stay alive while it is kept, even when the body cache has dropped them: they are
    // about as large as the page's text again.
    return key.size() + 2 * page.text.size() + page.bodies.size() * sizeof(SessionBodyCache::Body) + kPageOverhead;
}

RenderedPages::Kept RenderedPages::find(const std::string& key, std::int64_t total_count,
                                        const std::vector<HeldSessionBodies::Listed>& listed)
{
    Kept kept;
    {
        std::lock_guard lock(mutex_);
        const auto it = pages_.find(key);
        if (it == pages_.end()) {
            return nullptr;
        }
        kept = it->second;
    }
    const auto same_body = [](const SessionBodyCache::Body& body, const HeldSessionBodies::Listed& session) {
        return body == session.body;
    };
    if (kept->total_count != total_count ||
        !std::equal(kept->bodies.begin(), kept->bodies.end(), listed.begin(), listed.end(), same_body)) {
        return nullptr;
    }
    return kept;
}

void RenderedPages::keep(const std::string& key, std::int64_t total_count,
                         const std::vector<HeldSessionBodies::Listed>& listed, std::string_view text)
{
    Page page{total_count, {}, std::string(text)};
    page.bodies.reserve(listed.size());
    for (const auto& session : listed) {
        page.bodies.push_back(session.body);
    }
    const auto bytes = cost(key, page);
    if (bytes > capacity_ / 4) { // a few very long pages would not push out all the others
        return;
    }
    Kept kept = std::make_shared<const Page>(std::move(page));
    std::unordered_map<std::string, Kept> dropped; // these two are freed after the lock is released
    std::lock_guard lock(mutex_);
    if (const auto it = pages_.find(key); it != pages_.end()) {
        bytes_ -= cost(it->first, *it->second);
        kept.swap(it->second);
        bytes_ += bytes;
        return;
    }
    if (bytes_ + bytes > capacity_) {
        dropped.swap(pages_);
        bytes_ = 0;
    }
    pages_.emplace(key, std::move(kept));
    bytes_ += bytes;
}

std::size_t RenderedPages::size_bytes()
{
    std::lock_guard lock(mutex_);
    return bytes_;
}

} // namespace jobsessions::api
