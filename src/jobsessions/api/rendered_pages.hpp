// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/session_body_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jobsessions::api {

/// Whole pages of a list as they were answered, when every session on them came from the body cache. A page is
/// a function of its base URL, its query, its total and its sessions' bodies; a page asked again whose total is the
/// same and whose sessions are the very same kept bodies (compared by identity: a changed session has a new usn,
/// hence another body) is copied whole instead of put together again.
///
/// Bounded in bytes; when full, everything is dropped and pages are kept anew. Thread-safe.
class RenderedPages {
public:
    /// At most about `capacity_bytes` of pages; 0 keeps none.
    explicit RenderedPages(std::size_t capacity_bytes);

    struct Page {
        std::int64_t total_count = 0;
        /// The bodies the page was put together from, in list order.
        std::vector<SessionBodyCache::Body> bodies;
        std::string text;
    };
    using Kept = std::shared_ptr<const Page>;

    /// The page kept under `key`, if it was put together with `total_count` from the bodies `listed` holds, in
    /// their order; null otherwise.
    Kept find(const std::string& key, std::int64_t total_count, const std::vector<HeldSessionBodies::Listed>& listed);

    /// Keeps `text`, put together with `total_count` from the bodies `listed` holds, under `key`, replacing what was
    /// kept there.
    void keep(const std::string& key, std::int64_t total_count, const std::vector<HeldSessionBodies::Listed>& listed,
              std::string_view text);

    /// Bytes kept now.
    std::size_t size_bytes();

private:
    static std::size_t cost(const std::string& key, const Page& page) noexcept;

    const std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_map<std::string, Kept> pages_;
    std::size_t bytes_ = 0;
};

} // namespace jobsessions::api
