// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/list_cache.hpp"
#include "jobsessions/store/sqlite/session_counts.hpp"
#include "jobsessions/util/time.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace jobsessions::store::sqlite {
namespace {

constexpr util::Micros kPeriod = kDaysPerPeriod * util::kMicrosPerDay;

KeptPage page_of(std::int64_t first_id)
{
    return KeptPage{100, {{first_id, first_id * 10}, {first_id - 1, first_id * 10 - 10}}};
}

// The sessions that started in period `period`.
SessionFilter window_of(std::int64_t period)
{
    SessionFilter filter;
    filter.from = period * kPeriod;
    filter.to = (period + 1) * kPeriod;
    return filter;
}

TEST(ListCache, AKeptPageServesReadersAsNewAsItUntilACommitChangesItsWindow)
{
    ListCache cache;
    const auto filter = window_of(3);
    cache.keep_page(filter, 30, 30, page_of(7), 5);
    cache.keep_total(filter, 100, 5);
    ASSERT_NE(cache.find_page(filter, 30, 30, 5), nullptr);
    EXPECT_EQ(cache.find_page(filter, 30, 30, 5)->keys.front().id, 7);
    EXPECT_EQ(cache.find_total(filter, 6), 100);
    EXPECT_EQ(cache.find_page(filter, 0, 30, 5), nullptr);  // another offset
    EXPECT_EQ(cache.find_page(filter, 30, 30, 4), nullptr); // a reader older than what was read
    // A commit in another period changes nothing here; one in this period does.
    cache.touched(std::array<std::int64_t, 1>{4}, 6);
    EXPECT_NE(cache.find_page(filter, 30, 30, 6), nullptr);
    cache.touched(std::array<std::int64_t, 1>{3}, 7);
    EXPECT_EQ(cache.find_page(filter, 30, 30, 7), nullptr);
    EXPECT_EQ(cache.find_total(filter, 7), std::nullopt);
}

// Pages at random offsets are each asked for once; a page asked for again and again stays kept through them, and
// what is kept stays bounded.
TEST(ListCache, APageAskedForAgainOutlivesAStreamOfPagesAskedForOnce)
{
    ListCache cache;
    const auto hot = window_of(1);
    cache.keep_page(hot, 0, 30, page_of(99), 1);
    for (std::int64_t offset = 1; offset <= 20'000; ++offset) {
        cache.keep_page(window_of(2), offset, 30, page_of(offset), 1);
        if (offset % 500 == 0) {
            ASSERT_NE(cache.find_page(hot, 0, 30, 1), nullptr) << "after " << offset << " other pages";
        }
    }
    EXPECT_EQ(cache.find_page(hot, 0, 30, 1)->keys.front().id, 99);
    EXPECT_LE(cache.pages_kept(), 4096U);
    EXPECT_EQ(cache.find_page(window_of(2), 1, 30, 1), nullptr); // long gone
    EXPECT_NE(cache.find_page(window_of(2), 20'000, 30, 1), nullptr);
}

} // namespace
} // namespace jobsessions::store::sqlite
