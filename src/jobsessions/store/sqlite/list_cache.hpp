// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store.hpp"
#include "jobsessions/util/generational_cache.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jobsessions::store::sqlite {

/// A page of a list as the indexes gave it: its sessions' keys in list order, and the list's total.
struct KeptPage {
    std::int64_t total_count = 0;
    std::vector<SessionKey> keys;
};

/// Totals and pages of lists that the kept counts answer (type, status, policy, creator and window filters),
/// reused while no commit since has changed a session of the 32-day periods their window spans. A window of one
/// day between two midnights counts hundreds of index rows, and a page past an offset steps over that many index
/// entries; the same list asked again costs a lookup. The counts per bucket a deep page passes over are kept the
/// same way, their window the range of buckets they count.
///
/// Before each commit, the writer notes the periods whose sessions the commit changes, under the commit's number.
/// What is kept carries the commit number its snapshot started from at least (read before the snapshot began), and
/// is used by a reader whose snapshot is at least that new if no period of its window was touched after it. So a
/// reader never gets a total or a page older than what it would read itself. Thread-safe.
class ListCache {
public:
    /// Whether totals and pages of `filter` are kept (not with a text or usn: those are read from rows).
    static bool keeps(const SessionFilter& filter) noexcept;

    /// The writer, before commit `commit` (the number the commit count will reach): sessions of `periods` change.
    template <typename Periods> void touched(const Periods& periods, std::uint64_t commit)
    {
        std::lock_guard lock(mutex_);
        for (const auto period : periods) {
            touched_[period] = commit;
        }
    }

    /// The kept total of `filter` for a reader whose snapshot includes at least commit `snapshot_floor`.
    std::optional<std::int64_t> find_total(const SessionFilter& filter, std::uint64_t snapshot_floor);
    /// Keeps `total` of `filter`, counted in a snapshot that includes at least commit `snapshot_floor`.
    void keep_total(const SessionFilter& filter, std::int64_t total, std::uint64_t snapshot_floor);

    /// The kept page of `filter` at `offset` and `limit` (null when none), as find_total; shared, so that it is not
    /// copied under the lock.
    std::shared_ptr<const KeptPage> find_page(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                                              std::uint64_t snapshot_floor);
    /// Keeps a page, as keep_total; pages longer than a few hundred sessions are not kept.
    void keep_page(const SessionFilter& filter, std::int64_t offset, std::int64_t limit, KeptPage page,
                   std::uint64_t snapshot_floor);

    /// Sessions per bucket of one time level, newest bucket first: (bucket, sessions).
    using BucketCounts = std::vector<std::pair<std::int64_t, std::int64_t>>;
    /// The kept counts per bucket of `filter`'s sessions at time level `level`, whose buckets are `bucket_size`
    /// long, from bucket `first` up to, not including, `end` (each optional), as find_total. What a deep page
    /// passes over: the same for every page of a filter at the coarse levels.
    std::shared_ptr<const BucketCounts> find_buckets(const SessionFilter& filter, std::size_t level,
                                                     util::Micros bucket_size, std::optional<std::int64_t> first,
                                                     std::optional<std::int64_t> end, std::uint64_t snapshot_floor);
    /// Keeps counts per bucket, as keep_total.
    void keep_buckets(const SessionFilter& filter, std::size_t level, std::optional<std::int64_t> first,
                      std::optional<std::int64_t> end, std::shared_ptr<const BucketCounts> counts,
                      std::uint64_t snapshot_floor);

    /// Pages kept now (for tests).
    std::size_t pages_kept();

    /// Totals, pages or bucket counts kept at most, each, in two generations of half as many (a few hundred
    /// kilobytes for totals, at most about 15 megabytes for pages of a couple of hundred sessions).
    static constexpr std::size_t kKeptAtMost = 4096;

private:
    template <typename Value> struct Kept {
        Value value;
        std::uint64_t snapshot_floor = 0;
    };
    /// Each bounded by count in a util::GenerationalCache: the lists asked for again and again stay while a stream
    /// of lists asked for once (pages at random offsets) passes through.
    template <typename Value> using Cache = util::GenerationalCache<std::string, Kept<Value>>;

    static std::string key_of(const SessionFilter& filter);
    static std::string key_of(const SessionFilter& filter, std::int64_t offset, std::int64_t limit);
    static std::string key_of(const SessionFilter& filter, std::size_t level, std::optional<std::int64_t> first,
                              std::optional<std::int64_t> end);
    /// Whether a commit after `commit` touched a period of the window [from, to).
    bool touched_after(std::uint64_t commit, std::optional<util::Micros> from, std::optional<util::Micros> to) const;
    /// What is kept under `key` for the window [from, to) (each optional), as find_total.
    template <typename Value>
    std::optional<Value> find(Cache<Value>& kept, const std::string& key, std::optional<util::Micros> from,
                              std::optional<util::Micros> to, std::uint64_t snapshot_floor);
    template <typename Value> void keep(Cache<Value>& kept, std::string key, Value value, std::uint64_t snapshot_floor);

    std::mutex mutex_;
    /// Period → the last commit that changed one of its sessions (periods untouched since the start are absent).
    std::map<std::int64_t, std::uint64_t> touched_;
    Cache<std::int64_t> totals_{kKeptAtMost};
    Cache<std::shared_ptr<const KeptPage>> pages_{kKeptAtMost};
    Cache<std::shared_ptr<const BucketCounts>> buckets_{kKeptAtMost};
};

} // namespace jobsessions::store::sqlite
