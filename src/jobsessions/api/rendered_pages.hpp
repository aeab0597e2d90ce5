// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/session_body_cache.hpp"
#include "jobsessions/service/session_service.hpp"
#include "jobsessions/util/generational_cache.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jobsessions::api {

/// Whole pages of a list of finished sessions as they were answered, kept by their self link: from the second time
/// a page is listed, when the body cache keeps the body of every session on it, or from the first on a store that
/// keeps a version of its sessions (see below). A page's text is a function of its self link (base URL, filters as
/// sent, offset, limit), its total and its sessions as they were at their usn (a session's body at a usn never
/// changes; running sessions are never kept): a page asked again that lists the same sessions at the same usns
/// needs none of their bodies looked up, and with the same total it is copied whole.
///
/// A store that keeps a version of its sessions (store::SessionStore::versions_sessions) lets a page be validated
/// without listing it: a page kept at the version the database holds now is the page, and is copied whole. So such
/// a page is kept the first time it is listed, when the body cache may not hold its bodies yet: the second listing
/// this saves costs far more than the page's room. The key then also names whose sessions the page shows (an
/// agent's own). Requests for a page not kept that is being listed at their version wait for that listing and
/// answer with its text, rather than list it too: a burst of requests for a few pages lists each once.
///
/// Bounded in bytes by a util::GenerationalCache. Thread-safe.
class RenderedPages {
public:
    /// At most about `capacity_bytes` of pages; 0 keeps none.
    explicit RenderedPages(std::size_t capacity_bytes);

    /// A page's text gzip-compressed, made once, the first time a client that takes gzip is sent the page.
    struct GzippedText {
        std::once_flag made;
        /// Null when compressing failed.
        std::shared_ptr<const std::string> text;
    };

    struct Page {
        std::int64_t total_count = 0;
        /// The page's sessions (id and usn) in list order, and their bodies (null for one the page does not hold:
        /// a page kept at its first listing holds those the body cache kept).
        std::vector<store::SessionKey> sessions;
        std::vector<SessionBodyCache::Body> bodies;
        std::string text;
        /// The sessions' version the page was listed at (read before it was), when the store keeps one.
        std::optional<std::int64_t> version;
        /// Shared by the copies of the page kept at later versions, whose text is the same.
        std::shared_ptr<GzippedText> gzipped = std::make_shared<GzippedText>();

        /// Whether the page holds the body of each of its sessions.
        [[nodiscard]] bool holds_every_body() const noexcept
        {
            return std::all_of(bodies.begin(), bodies.end(), [](const auto& body) { return body != nullptr; });
        }
    };
    using Kept = std::shared_ptr<const Page>;

    /// The text of `page` gzip-compressed for a client that takes gzip: made the first time it is asked for and
    /// kept with the page, so that a page sent again is not compressed again. Null for a text too short to be
    /// compressed (http::kSmallestGzippedBody), or when compressing failed (the text is then sent as it is).
    static std::shared_ptr<const std::string> gzipped(const Kept& page);

    /// The page kept under `key` if it lists `sessions` (ids and usns, in order) and holds all their bodies; null
    /// otherwise.
    Kept find(const std::string& key, const std::vector<store::SessionKey>& sessions);

    /// The page kept under `key` if it was listed at sessions' version `version`; null otherwise.
    Kept find_at(const std::string& key, std::int64_t version);

    /// Keeps `page` under `key`, replacing what was kept there.
    void keep(const std::string& key, Page page);

    /// Bytes kept now.
    std::size_t size_bytes();

    /// A page being listed at a version, whose text the requests for it at that version take.
    class Listing {
    public:
        explicit Listing(std::int64_t version)
            : version_(version)
        {
        }
        /// True once listed; otherwise `wake` is called (on any thread) when it is.
        bool wait(const std::function<void()>& wake);
        [[nodiscard]] bool done();
        /// The page's text, once listed; null when listing it failed (each waiter then lists it itself).
        [[nodiscard]] std::shared_ptr<const std::string> text();
        [[nodiscard]] std::int64_t version() const noexcept { return version_; }

    private:
        friend class RenderedPages;
        const std::int64_t version_;
        std::mutex mutex_;
        bool done_ = false;
        std::shared_ptr<const std::string> text_;
        std::vector<std::function<void()>> waiters_;
    };

    /// The listing of the page under `key` at `version` in flight, to wait for; or null, and the caller lists the
    /// page, having been registered as its listing (`mine`) unless another version of it is being listed.
    std::shared_ptr<Listing> join_listing(const std::string& key, std::int64_t version, std::shared_ptr<Listing>& mine);
    /// Ends the caller's listing of the page under `key` with its text (null when it failed), waking who waits.
    void end_listing(const std::string& key, const std::shared_ptr<Listing>& listing,
                     std::shared_ptr<const std::string> text);

private:
    static std::size_t cost(const std::string& key, const Page& page) noexcept;
    Kept kept_under(const std::string& key);

    const std::size_t capacity_;
    std::mutex mutex_;
    util::GenerationalCache<std::string, Kept> pages_;
    /// The pages being listed, by key.
    std::unordered_map<std::string, std::shared_ptr<Listing>> listings_;
};

/// The sessions of one page that the caches hold, taken out of them when the store asks (an entry dropped meanwhile
/// stays alive while the page uses it), and the page's order: which sessions were held and which the store reads.
/// Given the page's key (its self link), a page kept whole under it that lists the same sessions gives all their bodies
/// at once.
class HeldSessionBodies final : public service::KnownSessions {
public:
    explicit HeldSessionBodies(SessionBodyCache& cache)
        : cache_(cache)
    {
    }
    HeldSessionBodies(SessionBodyCache& cache, RenderedPages& pages, std::string key)
        : cache_(cache)
        , pages_(&pages)
        , key_(std::move(key))
    {
    }

    struct Listed {
        std::int64_t id = 0;
        /// Null when the store reads the session.
        SessionBodyCache::Body body;
        [[nodiscard]] bool held() const noexcept { return body != nullptr; }
    };

    std::vector<bool> holds(const std::vector<store::SessionKey>& page) override;

    /// Every session of the page, in list order.
    [[nodiscard]] const std::vector<Listed>& listed() const noexcept { return listed_; }
    /// The page's sessions (id and usn) as the store listed them.
    [[nodiscard]] const std::vector<store::SessionKey>& sessions() const noexcept { return sessions_; }
    /// The page kept whole that gave the bodies; null when they came from the body cache.
    [[nodiscard]] const RenderedPages::Kept& whole_page() const noexcept { return whole_; }

private:
    SessionBodyCache& cache_;
    RenderedPages* pages_ = nullptr;
    std::string key_;
    std::vector<store::SessionKey> sessions_;
    std::vector<Listed> listed_;
    RenderedPages::Kept whole_;
};

} // namespace jobsessions::api
