// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/rendered_pages.hpp"
#include "jobsessions/api/session_body_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::api {
namespace {

std::string body_of(std::int64_t id, std::int64_t usn)
{
    return R"({"id":")" + std::to_string(id) + R"(","usn":)" + std::to_string(usn) + std::string(400, ' ');
}

// Offers body_of(id, usn) with no links once.
void offer(SessionBodyCache& cache, std::int64_t id, std::int64_t usn)
{
    const auto body = body_of(id, usn);
    cache.keep(id, usn, body, body.size());
}

// Keeps body_of(id, usn) with no links: offers it twice, as a body is kept the second time it is offered.
void keep(SessionBodyCache& cache, std::int64_t id, std::int64_t usn)
{
    offer(cache, id, usn);
    offer(cache, id, usn);
}

std::optional<std::string> fetched(SessionBodyCache& cache, std::int64_t id, std::int64_t usn)
{
    const auto body = cache.find(id, usn);
    if (body == nullptr) {
        return std::nullopt;
    }
    return body->text;
}

TEST(SessionBodyCache, ABodyIsFoundOnlyAtTheUsnItWasKeptAt)
{
    SessionBodyCache cache(1024 * 1024);
    EXPECT_FALSE(fetched(cache, 7, 70));
    keep(cache, 7, 70);
    EXPECT_EQ(fetched(cache, 7, 70), body_of(7, 70));
    EXPECT_FALSE(fetched(cache, 7, 71)); // changed since: a new usn
    EXPECT_FALSE(fetched(cache, 8, 70));
    keep(cache, 7, 71);
    EXPECT_EQ(fetched(cache, 7, 71), body_of(7, 71));
    EXPECT_FALSE(fetched(cache, 7, 70));
}

TEST(SessionBodyCache, ItStaysWithinItsCapacityAndKeepsWhatIsReadOften)
{
    const std::size_t capacity = 64 * 1024;
    SessionBodyCache cache(capacity);
    keep(cache, 1, 1);
    for (std::int64_t id = 2; id < 2000; ++id) {
        keep(cache, id, id);
        EXPECT_LE(cache.size_bytes(), capacity);
        EXPECT_EQ(fetched(cache, 1, 1), body_of(1, 1)) << "read after " << id; // read often: never dropped
    }
    EXPECT_FALSE(fetched(cache, 2, 2)); // kept once, long ago, never read: dropped
    EXPECT_EQ(fetched(cache, 1999, 1999), body_of(1999, 1999));
    EXPECT_GT(cache.size_bytes(), capacity / 4);
}

// Freeing a whole generation at once held up every request behind it for milliseconds: a dropped generation goes
// a few entries at a time, as new entries come in, and is gone long before the next one is dropped.
TEST(SessionBodyCache, ADroppedGenerationIsFreedAFewEntriesAtATime)
{
    SessionBodyCache cache(64 * 1024);
    std::vector<std::weak_ptr<const SessionBodyCache::KeptBody>> first_kept;
    for (std::int64_t id = 1; id <= 40; ++id) {
        keep(cache, id, id);
        first_kept.push_back(cache.find(id, id));
    }
    const auto alive = [&] {
        return std::count_if(first_kept.begin(), first_kept.end(), [](const auto& body) { return !body.expired(); });
    };
    ASSERT_EQ(alive(), 40);
    std::int64_t id = 41;
    while (alive() == 40 && id < 1000) { // two generations later, the first one is dropped
        keep(cache, id, id);
        ++id;
    }
    ASSERT_LT(id, 1000);
    EXPECT_GE(alive(), 40 - 4);
    const auto dropped_at = id;
    while (alive() > 0 && id < dropped_at + 100) {
        const auto before = alive();
        keep(cache, id, id);
        ++id;
        EXPECT_GE(alive(), before - 4) << "after keeping " << id - 1;
    }
    EXPECT_EQ(alive(), 0);
    EXPECT_LE(id - dropped_at, 40 / 4 + 1);
}

TEST(SessionBodyCache, AStaleBodyAskedForAtANewerUsnIsDroppedAndNoLongerCounted)
{
    const std::size_t capacity = 64 * 1024;
    SessionBodyCache cache(capacity);
    keep(cache, 1, 1);
    const auto kept_alone = cache.size_bytes();
    // Past half the capacity, the newer generation (with session 1) has become the older one.
    for (std::int64_t id = 2; cache.size_bytes() <= capacity / 2 && id < 1000; ++id) {
        keep(cache, id, id);
    }
    ASSERT_GT(cache.size_bytes(), capacity / 2);
    const auto before = cache.size_bytes();
    EXPECT_FALSE(fetched(cache, 1, 2)); // session 1 changed since it was kept
    EXPECT_EQ(cache.size_bytes(), before - kept_alone);
    EXPECT_FALSE(fetched(cache, 1, 1));
}

// Bodies rendered once (a walk through many sessions) take no room; a body rendered again is kept.
TEST(SessionBodyCache, ABodyIsKeptTheSecondTimeItIsOffered)
{
    SessionBodyCache cache(1024 * 1024);
    offer(cache, 1, 10);
    EXPECT_FALSE(fetched(cache, 1, 10));
    EXPECT_EQ(cache.size_bytes(), 0U);
    offer(cache, 1, 10);
    EXPECT_EQ(fetched(cache, 1, 10), body_of(1, 10));
    const auto one_kept = cache.size_bytes();
    EXPECT_GT(one_kept, 0U);
    // Session 1 changed: its new body is a first offer again.
    offer(cache, 1, 11);
    EXPECT_FALSE(fetched(cache, 1, 11));
    for (std::int64_t id = 2; id < 10'000; ++id) {
        offer(cache, id, id * 10);
    }
    EXPECT_EQ(cache.size_bytes(), one_kept);
    offer(cache, 9'999, 99'990);
    EXPECT_EQ(fetched(cache, 9'999, 99'990), body_of(9'999, 99'990));
}

TEST(SessionBodyCache, ABodyKeepsItsMembersAndLinksApart)
{
    SessionBodyCache cache(1024 * 1024);
    for (int offers = 0; offers < 2; ++offers) {
        cache.keep(5, 50, R"({"id":"5"},"_links":{})", 10);
    }
    const auto body = cache.find(5, 50);
    ASSERT_NE(body, nullptr);
    EXPECT_EQ(body->members(), R"({"id":"5"})");
    EXPECT_EQ(body->links(), R"(,"_links":{})");
}

TEST(SessionBodyCache, NoCapacityKeepsNothing)
{
    SessionBodyCache cache(0);
    keep(cache, 1, 1);
    EXPECT_FALSE(fetched(cache, 1, 1));
    EXPECT_EQ(cache.size_bytes(), 0U);
}

TEST(SessionBodyCache, HeldBodiesAreTakenInListOrderAndOutliveTheirEntries)
{
    SessionBodyCache cache(1024 * 1024);
    keep(cache, 3, 30);
    keep(cache, 1, 10);
    HeldSessionBodies held(cache);
    EXPECT_EQ(held.holds({{3, 30}, {2, 20}, {1, 11}, {1, 10}}), (std::vector<bool>{true, false, false, true}));
    ASSERT_EQ(held.listed().size(), 4U);
    EXPECT_EQ(held.listed()[0].body->text, body_of(3, 30));
    EXPECT_FALSE(held.listed()[1].held());
    EXPECT_EQ(held.listed()[1].id, 2);
    EXPECT_FALSE(held.listed()[2].held());
    EXPECT_EQ(held.listed()[3].body->text, body_of(1, 10));
    // Dropped from the cache while the page uses it, a held body stays what it was.
    for (std::int64_t id = 100; id < 5000; ++id) {
        keep(cache, id, 1);
    }
    EXPECT_FALSE(fetched(cache, 3, 30));
    EXPECT_EQ(held.listed()[0].body->text, body_of(3, 30));
    // Asked again, the page is listed anew.
    EXPECT_EQ(held.holds({{4999, 1}, {3, 30}}), (std::vector<bool>{true, false}));
    ASSERT_EQ(held.listed().size(), 2U);
    EXPECT_EQ(held.listed()[0].body->text, body_of(4999, 1));
    EXPECT_EQ(held.listed()[1].id, 3);
}

// Readers and writers on several threads (run under TSan by the sanitizer preset): every body found is the one kept
// for that id and usn.
TEST(SessionBodyCache, ThreadsFindOnlyTheBodiesKeptForTheirUsn)
{
    SessionBodyCache cache(256 * 1024);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&cache, t] {
            for (std::int64_t i = 0; i < 5000; ++i) {
                const std::int64_t id = (i * 7 + t) % 600;
                const std::int64_t usn = id * 10 + i % 3;
                if (i % 2 == 0) {
                    keep(cache, id, usn);
                } else if (auto found = fetched(cache, id, usn)) {
                    EXPECT_EQ(*found, body_of(id, usn));
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_LE(cache.size_bytes(), 256U * 1024);
}

} // namespace
} // namespace jobsessions::api
