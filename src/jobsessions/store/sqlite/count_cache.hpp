// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace jobsessions::store::sqlite {

/// Totals of lists that the kept counts answer (type, status, policy, creator and window filters), reused while no
/// commit since has changed the counts of the 32-day periods their window spans. A window of one day between two
/// midnights counts hundreds of index rows; the same window asked again costs a lookup.
///
/// Before each commit, the writer notes the periods whose counts the commit changes, under the commit's number.
/// A total is kept with the commit number its snapshot started from at least (read before the snapshot began), and
/// is used by a reader whose snapshot is at least that new if no period of its window was touched after it. So a
/// reader never gets a total older than what it would count itself. Thread-safe.
class CountCache {
public:
    /// Whether totals of `filter` are kept (not with a text or usn: those are counted from rows).
    static bool keeps(const SessionFilter& filter) noexcept;

    /// The writer, before commit `commit` (the number the commit count will reach): the counts of `periods` change.
    template <typename Periods> void touched(const Periods& periods, std::uint64_t commit)
    {
        std::lock_guard lock(mutex_);
        for (const auto period : periods) {
            touched_[period] = commit;
        }
    }

    /// The kept total of `filter` for a reader whose snapshot includes at least commit `snapshot_floor`.
    std::optional<std::int64_t> find(const SessionFilter& filter, std::uint64_t snapshot_floor);

    /// Keeps `total` of `filter`, counted in a snapshot that includes at least commit `snapshot_floor`.
    void keep(const SessionFilter& filter, std::int64_t total, std::uint64_t snapshot_floor);

private:
    struct Kept {
        std::int64_t total = 0;
        std::uint64_t snapshot_floor = 0;
    };
    static std::string key_of(const SessionFilter& filter);
    /// Whether a commit after `commit` touched a period of the window [from, to).
    bool touched_after(std::uint64_t commit, std::optional<util::Micros> from, std::optional<util::Micros> to) const;

    std::mutex mutex_;
    /// Period → the last commit that changed its counts (periods untouched since the start are absent).
    std::map<std::int64_t, std::uint64_t> touched_;
    std::unordered_map<std::string, Kept> kept_;
};

} // namespace jobsessions::store::sqlite
