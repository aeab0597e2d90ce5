// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/session_store.hpp"
#include "jobsessions/util/generational_cache.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jobsessions::api {

/// Bodies of finished sessions as a list renders them, with the links they were rendered with (which depend on the
/// request's base URL), kept by id and usn: a page listed again copies them instead of reading and rendering the
/// rows, and renders only links of another base. Every change to a session
/// gives it a new usn, so a body kept at the usn the list's index holds is current, and a stale one is never
/// matched; it ages out. Running sessions are not kept (their duration grows with the clock).
///
/// Bounded in bytes by a util::GenerationalCache. An evicted generation is freed a few entries at a time as new ones
/// come in: tens of thousands of bodies freed at once held every request behind them for milliseconds.
///
/// A body is kept the second time it is offered, not the first: pages read once (a walk through a million sessions,
/// a jump to a random page) would otherwise push out the bodies asked for again and again, and pay for copies
/// nobody reads. Thread-safe.
class SessionBodyCache {
public:
    /// A cache of at most about `capacity_bytes`; 0 keeps nothing.
    explicit SessionBodyCache(std::size_t capacity_bytes);

    /// A session's JSON as kept: its members, then its links.
    struct KeptBody {
        std::string text;
        std::size_t links_at = 0;
        [[nodiscard]] std::string_view members() const noexcept { return std::string_view(text).substr(0, links_at); }
        [[nodiscard]] std::string_view links() const noexcept { return std::string_view(text).substr(links_at); }
    };
    /// A kept body: shared, so that an entry dropped while a page still uses it stays alive, without a copy.
    using Body = std::shared_ptr<const KeptBody>;

    /// The body kept for session `id` at `usn`; null when none is.
    Body find(std::int64_t id, std::int64_t usn);
    /// The bodies kept for `sessions` (null for those not kept), under one lock.
    std::vector<Body> find(const std::vector<store::SessionKey>& sessions);

    /// Keeps the JSON of session `id` at `usn`: `text`, whose links start at `links_at`, if it was offered before;
    /// returns the body kept then (null when this is the first offer).
    Body keep(std::int64_t id, std::int64_t usn, std::string_view text, std::size_t links_at);

    /// Bytes kept now, counting a fixed overhead per entry.
    std::size_t size_bytes();

private:
    struct Entry {
        std::int64_t usn = 0;
        Body body;
    };
    using Cache = util::GenerationalCache<std::int64_t, Entry>;
    /// find() under the lock.
    Body find_locked(std::int64_t id, std::int64_t usn, Cache::Evicted& evicted);
    /// Frees a few entries of the generation evicted last (into `evicted`), and makes a generation just evicted
    /// the one freed from now on.
    void retire(Cache::Evicted& evicted);

    static std::size_t cost(const Entry& entry) noexcept;

    /// Whether session `id` at `usn` was offered before; notes it for the next time when not.
    bool offered_before(std::int64_t id, std::int64_t usn) noexcept;

    std::mutex mutex_;
    Cache cache_;
    /// The generation evicted last, freed a few entries for each entry kept or found.
    Cache::Generation retiring_;
    /// The sessions offered once, as a tag per slot (a slot a hash of id and usn picks; 0 is none): a later
    /// offer finding its tag is the second. Written without the lock: a lost note only delays a body by an offer.
    std::unique_ptr<std::atomic<std::uint64_t>[]> offered_;
    std::size_t offered_mask_ = 0;
};

} // namespace jobsessions::api
