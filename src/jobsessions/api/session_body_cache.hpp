// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store.hpp"

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
/// Bounded in bytes by two generations: entries go into the newer; when it holds half the capacity it becomes the
/// older and the older is dropped, and an entry found in the older moves back to the newer. A dropped generation is
/// freed a few entries at a time as new ones come in: tens of thousands of bodies freed at once held every request
/// behind them for milliseconds.
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

    /// Keeps the JSON of session `id` at `usn`: `text`, whose links start at `links_at`, if it was offered before.
    void keep(std::int64_t id, std::int64_t usn, std::string_view text, std::size_t links_at);

    /// Bytes kept now, counting a fixed overhead per entry.
    std::size_t size_bytes();

private:
    struct Entry {
        std::int64_t usn = 0;
        Body body;
    };
    using Generation = std::unordered_map<std::int64_t, Entry>;
    /// What an operation takes out of the cache under the lock, freed after the lock is released (declared before
    /// the lock, so destroyed after it).
    struct Freed {
        std::vector<Generation::node_type> entries;
        Generation generation;
    };
    /// find() under the lock.
    Body find_locked(std::int64_t id, std::int64_t usn, Freed& freed);
    /// Counts an entry of `bytes` about to go into the newer generation, which first becomes the older one if it
    /// has no room left; frees a few entries of the generation dropped last.
    void make_room(std::size_t bytes, Freed& freed);

    static std::size_t cost(const Entry& entry) noexcept;
    /// Whether session `id` at `usn` was offered before; notes it for the next time when not.
    bool offered_before(std::int64_t id, std::int64_t usn) noexcept;

    const std::size_t half_capacity_;
    std::mutex mutex_;
    Generation newer_;
    Generation older_;
    /// The generation dropped last, freed a few entries for each entry added.
    Generation retiring_;
    std::size_t newer_bytes_ = 0;
    std::size_t older_bytes_ = 0;
    /// The sessions offered once, as a tag per slot (a slot a hash of id and usn picks; 0 is none): a later
    /// offer finding its tag is the second. Written without the lock: a lost note only delays a body by an offer.
    std::unique_ptr<std::atomic<std::uint64_t>[]> offered_;
    std::size_t offered_mask_ = 0;
};

} // namespace jobsessions::api
