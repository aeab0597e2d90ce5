// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/generational_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jobsessions::util {
namespace {

using Cache = GenerationalCache<std::string, int>;

int* found(Cache& cache, const std::string& key)
{
    Cache::Evicted evicted;
    return cache.find(key, evicted);
}

void keep(Cache& cache, const std::string& key, int value, std::size_t cost = 1)
{
    Cache::Evicted evicted;
    cache.keep(key, value, cost, evicted);
}

TEST(GenerationalCache, StaysWithinItsCapacityEvictingTheOlderGenerationWhole)
{
    Cache cache(4); // two generations of 2
    keep(cache, "a", 1);
    keep(cache, "b", 2);
    EXPECT_EQ(cache.cost(), 2U);
    Cache::Evicted evicted;
    cache.keep("c", 3, 1, evicted); // the newer is full: it becomes the older
    EXPECT_TRUE(evicted.generations.size() == 1 && evicted.generations.front().empty());
    keep(cache, "d", 4);
    EXPECT_EQ(cache.cost(), 4U);
    cache.keep("e", 5, 1, evicted); // now a, b go, whole
    ASSERT_EQ(evicted.generations.size(), 2U);
    EXPECT_EQ(evicted.generations.back().size(), 2U);
    EXPECT_EQ(found(cache, "a"), nullptr);
    EXPECT_EQ(found(cache, "b"), nullptr);
    EXPECT_LE(cache.cost(), 4U);
    EXPECT_EQ(*found(cache, "e"), 5);
}

TEST(GenerationalCache, AHitInTheOlderGenerationMovesBackSoWhatIsAskedForAgainStays)
{
    Cache cache(4);
    keep(cache, "hot", 1);
    for (int i = 0; i < 100; ++i) {
        keep(cache, "cold-" + std::to_string(i), i);
        ASSERT_NE(found(cache, "hot"), nullptr) << "after " << i;
    }
    EXPECT_EQ(found(cache, "cold-0"), nullptr);
    EXPECT_EQ(cache.size(), 3U); // hot, and the newest colds
}

TEST(GenerationalCache, KeepingAgainReplacesAndInvalidateEvicts)
{
    Cache cache(100);
    keep(cache, "a", 1, 10);
    keep(cache, "a", 2, 30);
    EXPECT_EQ(*found(cache, "a"), 2);
    EXPECT_EQ(cache.cost(), 30U);
    Cache::Evicted evicted;
    cache.invalidate(std::string("a"), evicted);
    EXPECT_EQ(evicted.entries.size(), 1U);
    EXPECT_EQ(found(cache, "a"), nullptr);
    EXPECT_EQ(cache.cost(), 0U);
    // An entry costlier than a generation is not kept; nothing else is disturbed.
    keep(cache, "b", 3, 10);
    EXPECT_FALSE(cache.keep("huge", 4, 51, evicted));
    EXPECT_EQ(found(cache, "huge"), nullptr);
    EXPECT_EQ(*found(cache, "b"), 3);
}

TEST(GenerationalCache, EntriesAreValidatedNotTrusted)
{
    Cache cache(4);
    keep(cache, "a", 1);
    keep(cache, "b", 2);
    keep(cache, "c", 3); // a and b are in the older generation now
    Cache::Evicted evicted;
    const auto is_two = [](int value) { return value == 2; };
    // Refused in the newer generation: a miss, but left for a reader that may still take it.
    EXPECT_EQ(cache.find(std::string("c"), evicted, is_two), nullptr);
    EXPECT_EQ(*found(cache, "c"), 3);
    // Refused in the older: evicted. Accepted there: a hit, moved back.
    EXPECT_EQ(cache.find(std::string("a"), evicted, is_two), nullptr);
    EXPECT_EQ(evicted.entries.size(), 1U);
    EXPECT_EQ(found(cache, "a"), nullptr);
    EXPECT_EQ(*cache.find(std::string("b"), evicted, is_two), 2);
    EXPECT_EQ(cache.size(), 2U);
}

TEST(GenerationalCache, NoCapacityKeepsNothing)
{
    Cache cache(0);
    keep(cache, "a", 1);
    EXPECT_EQ(found(cache, "a"), nullptr);
    EXPECT_EQ(cache.cost(), 0U);
}

} // namespace
} // namespace jobsessions::util
