// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jobsessions::util {

/// The one cache every cache of the server is made of: bounded by the cost of what it keeps (bytes, or 1 an
/// entry), in two generations of half the capacity each. What is kept goes into the newer generation; when that
/// has no room left, it becomes the older one and the older is evicted whole; a hit in the older generation moves
/// the entry back into the newer. So what is asked for again and again stays while a stream of things asked for
/// once passes through, at the cost of one lookup more on a miss.
///
/// Not thread-safe: its owner holds a lock around each call. What a call evicts is handed to the owner in an
/// Evicted, to be freed once the lock is released (freeing thousands of entries under it held every reader up).
template <class Key, class Value, class Hash = std::hash<Key>, class Equal = std::equal_to<Key>>
class GenerationalCache {
public:
    struct Entry {
        Value value;
        std::size_t cost = 0;
    };
    using Generation = std::unordered_map<Key, Entry, Hash, Equal>;

    /// What calls evicted, for the owner to free after its lock (declare it before the lock).
    struct Evicted {
        std::vector<typename Generation::node_type> entries;
        /// Older generations evicted whole, oldest first.
        std::vector<Generation> generations;
    };

    /// Keeps at most `capacity` in cost; 0 keeps nothing.
    explicit GenerationalCache(std::size_t capacity) noexcept
        : half_(capacity / 2)
    {
    }

    /// A hit: the value kept under `key` that `valid` accepts, good until the next call. A miss: null. Entries
    /// are validated, not trusted: one in the older generation that `valid` refuses is evicted (it would only take
    /// room), one in the newer is left for readers that may still take it.
    template <class K, class Valid> Value* find(const K& key, Evicted& evicted, Valid&& valid)
    {
        if (const auto it = newer_.find(key); it != newer_.end()) {
            return valid(std::as_const(it->second.value)) ? &it->second.value : nullptr;
        }
        const auto old = older_.find(key);
        if (old == older_.end()) {
            return nullptr;
        }
        auto node = older_.extract(old);
        older_cost_ -= node.mapped().cost;
        if (!valid(std::as_const(node.mapped().value))) {
            evicted.entries.push_back(std::move(node));
            return nullptr;
        }
        // Asked for again: back into the newer generation.
        make_room(node.mapped().cost, evicted);
        newer_cost_ += node.mapped().cost;
        return &newer_.insert(std::move(node)).position->second.value;
    }

    /// A hit: the value kept under `key`, good until the next call. A miss: null.
    template <class K> Value* find(const K& key, Evicted& evicted)
    {
        return find(key, evicted, [](const Value&) { return true; });
    }

    /// Keeps `value` under `key` at `cost` in place of what was kept there; false (nothing kept) when the cost
    /// alone is more than a generation holds.
    bool keep(Key key, Value value, std::size_t cost, Evicted& evicted)
    {
        if (cost > half_) {
            return false;
        }
        invalidate(key, evicted);
        make_room(cost, evicted);
        newer_.emplace(std::move(key), Entry{std::move(value), cost});
        newer_cost_ += cost;
        return true;
    }

    /// Evicts what is kept under `key` (it is no longer true), if anything.
    template <class K> void invalidate(const K& key, Evicted& evicted)
    {
        for (auto* generation : {&newer_, &older_}) {
            if (const auto it = generation->find(key); it != generation->end()) {
                (generation == &newer_ ? newer_cost_ : older_cost_) -= it->second.cost;
                evicted.entries.push_back(generation->extract(it));
            }
        }
    }

    /// The cost of what is kept.
    [[nodiscard]] std::size_t cost() const noexcept { return newer_cost_ + older_cost_; }
    /// How many entries are kept.
    [[nodiscard]] std::size_t size() const noexcept { return newer_.size() + older_.size(); }

private:
    void make_room(std::size_t cost, Evicted& evicted)
    {
        if (newer_cost_ + cost <= half_) {
            return;
        }
        evicted.generations.push_back(std::move(older_));
        older_ = std::move(newer_);
        older_cost_ = newer_cost_;
        newer_ = Generation{};
        newer_.reserve(older_.size()); // no rehash of a growing table while it fills up again
        newer_cost_ = 0;
    }

    const std::size_t half_;
    Generation newer_;
    Generation older_;
    std::size_t newer_cost_ = 0;
    std::size_t older_cost_ = 0;
};

} // namespace jobsessions::util
