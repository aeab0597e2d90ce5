// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/rendered_pages.hpp"

#include "jobsessions/http/gzip.hpp"

namespace jobsessions::api {
namespace {

/// What a page costs besides its key, text and lists: the map's node, the shared page's control block and header.
constexpr std::size_t kPageOverhead = 160;

} // namespace

RenderedPages::RenderedPages(std::size_t capacity_bytes)
    : capacity_(capacity_bytes)
    , pages_(capacity_bytes)
{
}

std::size_t RenderedPages::cost(const std::string& key, const Page& page) noexcept
{
    // The bodies a page holds stay alive while it is kept, even when the body cache has dropped them.
    std::size_t bodies = 0;
    for (const auto& body : page.bodies) {
        bodies += body != nullptr ? body->text.size() : 0;
    }
    // A text long enough to be sent compressed is, to most clients: its compressed copy, about a tenth of it.
    const auto compressed = page.text.size() >= http::kSmallestGzippedBody ? page.text.size() / 10 : 0;
    return key.size() + page.text.size() + compressed + bodies +
           page.sessions.size() * (sizeof(store::SessionKey) + sizeof(SessionBodyCache::Body)) + kPageOverhead;
}

RenderedPages::Kept RenderedPages::kept_under(const std::string& key)
{
    decltype(pages_)::Evicted evicted; // freed after the lock is released
    std::lock_guard lock(mutex_);
    const auto* found = pages_.find(key, evicted);
    return found != nullptr ? *found : nullptr;
}

RenderedPages::Kept RenderedPages::find(const std::string& key, const std::vector<store::SessionKey>& sessions)
{
    auto kept = kept_under(key);
    if (kept == nullptr || kept->sessions != sessions) {
        return nullptr;
    }
    // A page kept at its first listing may lack bodies the body cache did not keep yet: it gives none.
    return kept->holds_every_body() ? kept : nullptr;
}

std::shared_ptr<const std::string> RenderedPages::gzipped(const Kept& page)
{
    if (page == nullptr || page->gzipped == nullptr || page->text.size() < http::kSmallestGzippedBody) {
        return nullptr;
    }
    auto& gzipped = *page->gzipped;
    std::call_once(gzipped.made, [&] {
        std::string compressed;
        if (http::gzip(page->text, compressed)) {
            gzipped.text = std::make_shared<const std::string>(std::move(compressed));
        }
    });
    return gzipped.text;
}

RenderedPages::Kept RenderedPages::find_at(const std::string& key, std::int64_t version)
{
    auto kept = kept_under(key);
    return kept != nullptr && kept->version == version ? kept : nullptr;
}

void RenderedPages::keep(const std::string& key, Page page)
{
    const auto bytes = cost(key, page);
    if (bytes > capacity_ / 4) { // a few very long pages would not push out all the others
        return;
    }
    Kept kept = std::make_shared<const Page>(std::move(page));
    decltype(pages_)::Evicted evicted; // freed after the lock is released
    std::lock_guard lock(mutex_);
    pages_.keep(key, std::move(kept), bytes, evicted);
}

bool RenderedPages::Listing::wait(const std::function<void()>& wake)
{
    std::lock_guard lock(mutex_);
    if (!done_) {
        waiters_.push_back(wake);
    }
    return done_;
}

bool RenderedPages::Listing::done()
{
    std::lock_guard lock(mutex_);
    return done_;
}

std::shared_ptr<const std::string> RenderedPages::Listing::text()
{
    std::lock_guard lock(mutex_);
    return text_;
}

std::shared_ptr<RenderedPages::Listing> RenderedPages::join_listing(const std::string& key, std::int64_t version,
                                                                    std::shared_ptr<Listing>& mine)
{
    std::lock_guard lock(mutex_);
    auto& listing = listings_[key];
    if (listing != nullptr && listing->version() == version) {
        return listing;
    }
    if (listing == nullptr) {
        listing = std::make_shared<Listing>(version);
        mine = listing;
    }
    return nullptr;
}

void RenderedPages::end_listing(const std::string& key, const std::shared_ptr<Listing>& listing,
                                std::shared_ptr<const std::string> text)
{
    {
        std::lock_guard lock(mutex_);
        if (const auto it = listings_.find(key); it != listings_.end() && it->second == listing) {
            listings_.erase(it);
        }
    }
    std::vector<std::function<void()>> waiters;
    {
        std::lock_guard lock(listing->mutex_);
        listing->done_ = true;
        listing->text_ = std::move(text);
        waiters.swap(listing->waiters_);
    }
    for (const auto& wake : waiters) {
        wake();
    }
}

std::size_t RenderedPages::size_bytes()
{
    std::lock_guard lock(mutex_);
    return pages_.cost();
}

std::vector<bool> HeldSessionBodies::holds(const std::vector<store::SessionKey>& page)
{
    sessions_ = page;
    listed_.clear();
    listed_.reserve(page.size());
    whole_ = pages_ != nullptr ? pages_->find(key_, page) : nullptr;
    if (whole_ != nullptr) {
        for (std::size_t i = 0; i < page.size(); ++i) {
            listed_.push_back(Listed{page[i].id, whole_->bodies[i]});
        }
        return std::vector<bool>(page.size(), true);
    }
    auto bodies = cache_.find(page);
    std::vector<bool> held(page.size());
    for (std::size_t i = 0; i < page.size(); ++i) {
        held[i] = bodies[i] != nullptr;
        listed_.push_back(Listed{page[i].id, std::move(bodies[i])});
    }
    return held;
}

} // namespace jobsessions::api
