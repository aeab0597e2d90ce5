// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/list_cache.hpp"

#include "jobsessions/store/sqlite/session_counts.hpp"
#include "jobsessions/util/strings.hpp"
#include "jobsessions/util/time.hpp"

namespace jobsessions::store::sqlite {
namespace {

/// Longer pages are not kept: they are rare, and their cost is in reading the sessions, not in finding them.
constexpr std::int64_t kPageKeptAtMost = 200;

constexpr util::Micros kMicrosPerPeriod = kDaysPerPeriod * util::kMicrosPerDay;

} // namespace

bool ListCache::keeps(const SessionFilter& filter) noexcept
{
    return !filter.usn_after && !filter.text;
}

std::string ListCache::key_of(const SessionFilter& filter)
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

std::string ListCache::key_of(const SessionFilter& filter, std::int64_t offset, std::int64_t limit)
{
    std::string key;
    util::append_int(key, offset);
    key += ',';
    util::append_int(key, limit);
    key += '|';
    key += key_of(filter);
    return key;
}

std::string ListCache::key_of(const SessionFilter& filter, std::size_t level, std::optional<std::int64_t> first,
                              std::optional<std::int64_t> end)
{
    std::string key;
    util::append_int(key, static_cast<std::int64_t>(level));
    key += ',';
    if (first) {
        util::append_int(key, *first);
    }
    key += ',';
    if (end) {
        util::append_int(key, *end);
    }
    key += '|';
    key += key_of(filter);
    return key;
}

bool ListCache::touched_after(std::uint64_t commit, std::optional<util::Micros> from,
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

template <typename Value>
std::optional<Value> ListCache::find(Cache<Value>& kept, const std::string& key, std::optional<util::Micros> from,
                                     std::optional<util::Micros> to, std::uint64_t snapshot_floor)
{
    typename Cache<Value>::Evicted evicted; // freed after the lock is released
    std::lock_guard lock(mutex_);
    // What was read in a newer snapshot than the reader's might hold what the reader cannot see yet; what was read
    // before a commit that touched the window is out of date.
    const auto* found = kept.find(key, evicted, [&](const Kept<Value>& entry) {
        return entry.snapshot_floor <= snapshot_floor && !touched_after(entry.snapshot_floor, from, to);
    });
    if (found == nullptr) {
        return std::nullopt;
    }
    return found->value;
}

template <typename Value>
void ListCache::keep(Cache<Value>& kept, std::string key, Value value, std::uint64_t snapshot_floor)
{
    typename Cache<Value>::Evicted evicted; // freed after the lock is released
    std::lock_guard lock(mutex_);
    kept.keep(std::move(key), Kept<Value>{std::move(value), snapshot_floor}, 1, evicted);
}

std::shared_ptr<const ListCache::BucketCounts> ListCache::find_buckets(const SessionFilter& filter, std::size_t level,
                                                                       util::Micros bucket_size,
                                                                       std::optional<std::int64_t> first,
                                                                       std::optional<std::int64_t> end,
                                                                       std::uint64_t snapshot_floor)
{
    if (!keeps(filter)) {
        return nullptr;
    }
    const auto from = first ? std::optional(*first * bucket_size) : std::nullopt;
    const auto to = end ? std::optional(*end * bucket_size) : std::nullopt;
    return find(buckets_, key_of(filter, level, first, end), from, to, snapshot_floor).value_or(nullptr);
}

void ListCache::keep_buckets(const SessionFilter& filter, std::size_t level, std::optional<std::int64_t> first,
                             std::optional<std::int64_t> end, std::shared_ptr<const BucketCounts> counts,
                             std::uint64_t snapshot_floor)
{
    if (keeps(filter)) {
        keep(buckets_, key_of(filter, level, first, end), std::move(counts), snapshot_floor);
    }
}

std::size_t ListCache::pages_kept()
{
    std::lock_guard lock(mutex_);
    return pages_.size();
}

std::optional<std::int64_t> ListCache::find_total(const SessionFilter& filter, std::uint64_t snapshot_floor)
{
    if (!keeps(filter)) {
        return std::nullopt;
    }
    return find(totals_, key_of(filter), filter.from, filter.to, snapshot_floor);
}

void ListCache::keep_total(const SessionFilter& filter, std::int64_t total, std::uint64_t snapshot_floor)
{
    if (keeps(filter)) {
        keep(totals_, key_of(filter), total, snapshot_floor);
    }
}

std::shared_ptr<const KeptPage> ListCache::find_page(const SessionFilter& filter, std::int64_t offset,
                                                     std::int64_t limit, std::uint64_t snapshot_floor)
{
    if (!keeps(filter) || limit < 0 || limit > kPageKeptAtMost) {
        return nullptr;
    }
    return find(pages_, key_of(filter, offset, limit), filter.from, filter.to, snapshot_floor).value_or(nullptr);
}

void ListCache::keep_page(const SessionFilter& filter, std::int64_t offset, std::int64_t limit, KeptPage page,
                          std::uint64_t snapshot_floor)
{
    if (keeps(filter) && limit >= 0 && limit <= kPageKeptAtMost) {
        keep(pages_, key_of(filter, offset, limit), std::make_shared<const KeptPage>(std::move(page)), snapshot_floor);
    }
}

} // namespace jobsessions::store::sqlite
