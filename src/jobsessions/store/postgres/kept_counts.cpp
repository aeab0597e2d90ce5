// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/kept_counts.hpp"

#include "jobsessions/log/log.hpp"

#include <string>
#include <utility>

namespace jobsessions::store::postgres {
namespace {

/// A statement and its parameters as one key: parameters are decimal numbers and names, never a control character.
std::string key_of(const std::string& sql, const std::vector<Param>& params)
{
    std::string key = sql;
    for (const auto& p : params) {
        key += p ? '\x1f' + *p : std::string("\x1e");
    }
    return key;
}

} // namespace

KeptCounts::KeptCounts(std::size_t capacity_bytes)
    : cache_(capacity_bytes)
{
}

std::shared_ptr<const KeptCounts::Numbers> KeptCounts::find(const std::string& sql, const std::vector<Param>& params,
                                                            std::int64_t version)
{
    const auto key = key_of(sql, params);
    decltype(cache_)::Evicted evicted;
    std::lock_guard lock(mutex_);
    const auto* kept = cache_.find(key, evicted, [&](const Kept& k) { return k.version == version; });
    return kept ? kept->numbers : nullptr;
}

void KeptCounts::keep(const std::string& sql, const std::vector<Param>& params, std::int64_t version,
                      std::shared_ptr<const Numbers> numbers)
{
    auto key = key_of(sql, params);
    const auto cost = key.size() + numbers->size() * sizeof(std::int64_t) + 128;
    saw_version(version);
    const auto count = numbers->size();
    bool kept = false;
    {
        decltype(cache_)::Evicted evicted;
        std::lock_guard lock(mutex_);
        kept = cache_.keep(std::move(key), Kept{version, std::move(numbers)}, cost, evicted);
    }
    if (!kept) {
        // A list's counts are a few hundred numbers at most: this would be a statement that should not be kept
        // at all. Nothing is wrong for readers, who count again.
        log::warning("database: a count of " + std::to_string(count) + " numbers is too big to keep");
    }
}

void KeptCounts::saw_version(std::int64_t version) noexcept
{
    auto newest = newest_version_.load(std::memory_order_relaxed);
    while (version > newest && !newest_version_.compare_exchange_weak(newest, version, std::memory_order_relaxed)) {
    }
}

std::optional<std::int64_t> KeptCounts::newest_version() const noexcept
{
    const auto newest = newest_version_.load(std::memory_order_relaxed);
    return newest < 0 ? std::nullopt : std::optional(newest);
}

std::size_t KeptCounts::size()
{
    std::lock_guard lock(mutex_);
    return cache_.size();
}

Result<std::shared_ptr<const KeptCounts::Numbers>> Counter::read(const std::string& sql,
                                                                 const std::vector<Param>& params, int columns)
{
    if (kept_ && version_) {
        if (auto kept = kept_->find(sql, params, *version_)) {
            return kept;
        }
    }
    if (kept_only_) {
        missed_ = true;
        return std::make_shared<const KeptCounts::Numbers>();
    }
    auto rows = db_.exec_built(sql, params);
    if (!rows) {
        return rows.error();
    }
    auto numbers = std::make_shared<KeptCounts::Numbers>();
    numbers->reserve(static_cast<std::size_t>(rows->count()) * static_cast<std::size_t>(columns));
    for (int r = 0; r < rows->count(); ++r) {
        for (int c = 0; c < columns; ++c) {
            numbers->push_back(rows->int64(r, c));
        }
    }
    std::shared_ptr<const KeptCounts::Numbers> read = std::move(numbers);
    if (kept_ && version_) {
        kept_->keep(sql, params, *version_, read);
    }
    return read;
}

Result<std::int64_t> Counter::single(const std::string& sql, const std::vector<Param>& params)
{
    auto numbers = read(sql, params, 1);
    if (!numbers) {
        return numbers.error();
    }
    return (*numbers)->empty() ? 0 : (*numbers)->front();
}

} // namespace jobsessions::store::postgres
