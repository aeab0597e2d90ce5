// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/count_cache.hpp"

#include "jobsessions/store/sqlite/session_counts.hpp"
#include "jobsessions/util/strings.hpp"
#include "jobsessions/util/time.hpp"

namespace jobsessions::store::sqlite {
namespace {

/// Totals kept at most; past that they are all dropped and kept anew (a few hundred kilobytes).
constexpr std::size_t kKeptAtMost = 4096;

constexpr util::Micros kMicrosPerPeriod = kDaysPerPeriod * util::kMicrosPerDay;

} // namespace

bool CountCache::keeps(const SessionFilter& filter) noexcept
{
    return !filter.usn_after && !filter.text;
}

std::string CountCache::key_of(const SessionFilter& filter)
{
    std::string key;
    for (const auto type : filter.types) {
        key += domain::to_string(type);
        key += ',';
    }
    key += '|';
    for (const auto status : filter.statuses) {
        key += domain::to_string(status);
        key += ',';
    }
    key += '|';
    if (filter.created_by) {
        util::append_int(key, *filter.created_by);
    }
    key += '|';
    if (filter.from) {
        util::append_int(key, *filter.from);
    }
    key += '|';
    if (filter.to) {
        util::append_int(key, *filter.to);
    }
    key += '|';
    if (filter.policy_id) { // last: the only part that may hold any character
        key += 'p';
        key += *filter.policy_id;
    }
    return key;
}

bool CountCache::touched_after(std::uint64_t commit, std::optional<util::Micros> from,
                               std::optional<util::Micros> to) const
{
    if (from && to && *from >= *to) {
        return false; // an empty window
    }
    auto it = from ? touched_.lower_bound(util::floor_div(*from, kMicrosPerPeriod)) : touched_.begin();
    const auto end = to ? touched_.upper_bound(util::floor_div(*to - 1, kMicrosPerPeriod)) : touched_.end();
    for (; it != end; ++it) {
        if (it->second > commit) {
            return true;
        }
    }
    return false;
}

std::optional<std::int64_t> CountCache::find(const SessionFilter& filter, std::uint64_t snapshot_floor)
{
    if (!keeps(filter)) {
        return std::nullopt;
    }
    const auto key = key_of(filter);
    std::lock_guard lock(mutex_);
    const auto it = kept_.find(key);
    // A total counted in a newer snapshot than the reader's might hold what the reader cannot see yet.
    if (it == kept_.end() || it->second.snapshot_floor > snapshot_floor ||
        touched_after(it->second.snapshot_floor, filter.from, filter.to)) {
        return std::nullopt;
    }
    return it->second.total;
}

void CountCache::keep(const SessionFilter& filter, std::int64_t total, std::uint64_t snapshot_floor)
{
    if (!keeps(filter)) {
        return;
    }
    auto key = key_of(filter);
    std::unordered_map<std::string, Kept> dropped; // freed after the lock is released
    std::lock_guard lock(mutex_);
    if (kept_.size() >= kKeptAtMost) {
        dropped.swap(kept_);
    }
    kept_.insert_or_assign(std::move(key), Kept{total, snapshot_floor});
}

} // namespace jobsessions::store::sqlite
