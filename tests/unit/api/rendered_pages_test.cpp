// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/rendered_pages.hpp"
#include "jobsessions/http/gzip.hpp"

#include "support/gunzip.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::api {
namespace {

using store::SessionKey;

SessionBodyCache::Body body(std::int64_t id)
{
    return std::make_shared<const SessionBodyCache::KeptBody>(
        SessionBodyCache::KeptBody{R"({"id":")" + std::to_string(id) + R"("})", 0});
}

RenderedPages::Page page_of(std::vector<SessionKey> sessions, std::string text, std::int64_t total = 10,
                            std::optional<std::int64_t> version = std::nullopt)
{
    RenderedPages::Page page{total, std::move(sessions), {}, std::move(text), version};
    for (const auto& session : page.sessions) {
        page.bodies.push_back(body(session.id));
    }
    return page;
}

TEST(RenderedPages, APageIsFoundOnlyWhenItListsTheSameSessionsAtTheSameUsns)
{
    RenderedPages pages(std::size_t{1024} * 1024);
    const std::vector<SessionKey> sessions = {{1, 10}, {2, 20}};
    EXPECT_EQ(pages.find("k", sessions), nullptr);
    pages.keep("k", page_of(sessions, "page text", 7));
    const auto kept = pages.find("k", sessions);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->text, "page text");
    EXPECT_EQ(kept->total_count, 7);
    EXPECT_EQ(pages.find("other", sessions), nullptr) << "another self link";
    EXPECT_EQ(pages.find("k", {{1, 10}, {2, 21}}), nullptr) << "a session changed";
    EXPECT_EQ(pages.find("k", {{1, 10}}), nullptr) << "fewer sessions";
    EXPECT_EQ(pages.find("k", {{2, 20}, {1, 10}}), nullptr) << "another order";
    // Kept again under the same key: the newer page replaces the older.
    pages.keep("k", page_of({{1, 10}, {2, 21}}, "changed text"));
    EXPECT_EQ(pages.find("k", sessions), nullptr);
    ASSERT_NE(pages.find("k", {{1, 10}, {2, 21}}), nullptr);
    EXPECT_EQ(pages.find("k", {{1, 10}, {2, 21}})->text, "changed text");
}

TEST(RenderedPages, APageIsFoundAtAVersionOnlyWhenItWasListedAtIt)
{
    RenderedPages pages(std::size_t{1024} * 1024);
    const std::vector<SessionKey> sessions = {{1, 10}, {2, 20}};
    pages.keep("k", page_of(sessions, "page text", 7));
    EXPECT_EQ(pages.find_at("k", 0), nullptr) << "a page listed where the store keeps no version";
    pages.keep("k", page_of(sessions, "page text", 7, 42));
    const auto kept = pages.find_at("k", 42);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->text, "page text");
    EXPECT_EQ(pages.find_at("k", 43), nullptr) << "the sessions changed since";
    EXPECT_EQ(pages.find_at("other", 42), nullptr) << "another key";
    EXPECT_NE(pages.find("k", sessions), nullptr) << "and it is still found by its sessions";
}

TEST(RenderedPages, APageKeptWithoutEveryBodyIsFoundAtItsVersionButGivesNoBodies)
{
    // Kept at its first listing on a store that versions its sessions, before the body cache held its bodies.
    RenderedPages pages(std::size_t{1024} * 1024);
    const std::vector<SessionKey> sessions = {{1, 10}, {2, 20}};
    auto page = page_of(sessions, "page text", 7, 42);
    page.bodies[1] = nullptr;
    pages.keep("k", std::move(page));
    const auto kept = pages.find_at("k", 42);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->text, "page text");
    EXPECT_EQ(pages.find("k", sessions), nullptr) << "a listing at a later version reads the missing body";
    // It costs its text and the bodies it holds, not a body it does not hold.
    const auto without = pages.size_bytes();
    pages.keep("k", page_of(sessions, "page text", 7, 42));
    EXPECT_EQ(pages.size_bytes(), without + body(2)->text.size());
}

TEST(RenderedPages, APageIsCompressedOnceForEveryClientThatTakesGzip)
{
    RenderedPages pages(std::size_t{4} * 1024 * 1024);
    const std::vector<SessionKey> sessions = {{1, 10}, {2, 20}};
    std::string text = R"({"results":[)";
    while (text.size() < http::kSmallestGzippedBody) {
        text += R"({"id":"1","type":"PolicyBackup","status":"Success"},)";
    }
    text += "{}]}";
    pages.keep("k", page_of(sessions, text, 7, 42));
    const auto first = RenderedPages::gzipped(pages.find_at("k", 42));
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(test::gunzip(*first), text);
    EXPECT_EQ(RenderedPages::gzipped(pages.find_at("k", 42)), first) << "compressed again";
    // Kept again at a later version, unchanged: the same compressed copy.
    auto again = *pages.find_at("k", 42);
    again.version = 43;
    pages.keep("k", std::move(again));
    EXPECT_EQ(RenderedPages::gzipped(pages.find_at("k", 43)), first);
    // A text too short to be sent compressed has no compressed copy.
    pages.keep("short", page_of(sessions, "page text", 7, 42));
    EXPECT_EQ(RenderedPages::gzipped(pages.find_at("short", 42)), nullptr);
    EXPECT_EQ(RenderedPages::gzipped(nullptr), nullptr);
}

TEST(RenderedPages, ClientsAskingForAPageCompressedAtOnceShareOneCompression)
{
    RenderedPages pages(std::size_t{4} * 1024 * 1024);
    std::string text = R"({"results":[)";
    while (text.size() < http::kSmallestGzippedBody) {
        text += R"({"id":"2","type":"HealthCheck","status":"Warning"},)";
    }
    text += "{}]}";
    pages.keep("k", page_of({{1, 10}}, text, 1, 5));
    const auto page = pages.find_at("k", 5);
    ASSERT_NE(page, nullptr);
    constexpr int kThreads = 8;
    std::vector<std::shared_ptr<const std::string>> got(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] { got[static_cast<std::size_t>(t)] = RenderedPages::gzipped(page); });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    ASSERT_NE(got.front(), nullptr);
    EXPECT_EQ(test::gunzip(*got.front()), text);
    for (const auto& each : got) {
        EXPECT_EQ(each, got.front()) << "compressed more than once";
    }
}

TEST(RenderedPages, RequestsForAPageBeingListedAtTheirVersionWaitForItsText)
{
    RenderedPages pages(std::size_t{1024} * 1024);
    std::shared_ptr<RenderedPages::Listing> mine;
    EXPECT_EQ(pages.join_listing("k", 7, mine), nullptr) << "nobody lists it yet: this caller does";
    ASSERT_NE(mine, nullptr);

    std::shared_ptr<RenderedPages::Listing> not_mine;
    const auto joined = pages.join_listing("k", 7, not_mine);
    ASSERT_EQ(joined, mine) << "the same page at the same version";
    EXPECT_EQ(not_mine, nullptr);
    int woken = 0;
    EXPECT_FALSE(joined->wait([&] { ++woken; }));
    EXPECT_FALSE(joined->done());

    // Another version of it lists on its own, unregistered; so does another page, registered.
    std::shared_ptr<RenderedPages::Listing> other_version;
    EXPECT_EQ(pages.join_listing("k", 8, other_version), nullptr);
    EXPECT_EQ(other_version, nullptr);
    std::shared_ptr<RenderedPages::Listing> other_page;
    EXPECT_EQ(pages.join_listing("other", 7, other_page), nullptr);
    EXPECT_NE(other_page, nullptr);

    pages.end_listing("k", mine, std::make_shared<const std::string>("the page"));
    EXPECT_EQ(woken, 1);
    EXPECT_TRUE(joined->done());
    ASSERT_NE(joined->text(), nullptr);
    EXPECT_EQ(*joined->text(), "the page");
    EXPECT_TRUE(joined->wait([&] { ++woken; })) << "done: nothing to wait for";
    EXPECT_EQ(woken, 1);

    // Once done, the next request at that version lists it again (it was not kept meanwhile).
    std::shared_ptr<RenderedPages::Listing> next;
    EXPECT_EQ(pages.join_listing("k", 7, next), nullptr);
    EXPECT_NE(next, nullptr);
    // A listing that failed gives no text: who waited lists the page itself.
    std::shared_ptr<RenderedPages::Listing> none;
    const auto waiting = pages.join_listing("k", 7, none);
    ASSERT_EQ(waiting, next);
    pages.end_listing("k", next, nullptr);
    EXPECT_TRUE(waiting->done());
    EXPECT_EQ(waiting->text(), nullptr);
}

TEST(RenderedPages, EveryRequestWaitingForAListingOnAnotherThreadIsWokenWithItsText)
{
    RenderedPages pages(std::size_t{1024} * 1024);
    for (int round = 0; round < 200; ++round) {
        const auto version = std::int64_t{round};
        std::shared_ptr<RenderedPages::Listing> mine;
        ASSERT_EQ(pages.join_listing("k", version, mine), nullptr);
        ASSERT_NE(mine, nullptr);
        std::atomic<int> woken{0};
        std::vector<std::shared_ptr<RenderedPages::Listing>> joined;
        // The listing ends on another thread while requests join and wait, as the pool ends it while I/O threads
        // wait: each is either woken or finds it done.
        std::thread lister([&] { pages.end_listing("k", mine, std::make_shared<const std::string>("page")); });
        int done_at_once = 0;
        for (int i = 0; i < 8; ++i) {
            std::shared_ptr<RenderedPages::Listing> not_mine;
            if (auto listing = pages.join_listing("k", version, not_mine); listing != nullptr) {
                done_at_once += listing->wait([&] { ++woken; }) ? 1 : 0;
                joined.push_back(std::move(listing));
            } else if (not_mine != nullptr) {
                pages.end_listing("k", not_mine, nullptr); // came after the end: it would list the page itself
            }
        }
        lister.join();
        EXPECT_EQ(woken.load() + done_at_once, static_cast<int>(joined.size()));
        for (const auto& listing : joined) {
            ASSERT_TRUE(listing->done());
            ASSERT_NE(listing->text(), nullptr);
            EXPECT_EQ(*listing->text(), "page");
        }
    }
}

TEST(RenderedPages, StaysWithinItsBytesAndKeepsNothingAtZero)
{
    const std::vector<SessionKey> sessions = {{1, 10}};
    RenderedPages none(0);
    none.keep("k", page_of(sessions, "text"));
    EXPECT_EQ(none.find("k", sessions), nullptr);
    EXPECT_EQ(none.size_bytes(), 0U);

    constexpr std::size_t kCapacity = std::size_t{64} * 1024;
    RenderedPages pages(kCapacity);
    pages.keep("huge", page_of(sessions, std::string(kCapacity / 4, 'x')));
    EXPECT_EQ(pages.find("huge", sessions), nullptr) << "a page of more than a quarter is not kept";
    const std::string text(1000, 'p');
    for (int i = 0; i < 200; ++i) {
        pages.keep("page " + std::to_string(i), page_of(sessions, text));
        EXPECT_LE(pages.size_bytes(), kCapacity);
        ASSERT_NE(pages.find("page " + std::to_string(i), sessions), nullptr) << i;
    }
    // Full, it dropped all it held and began again: the first pages are gone.
    EXPECT_EQ(pages.find("page 0", sessions), nullptr);
}

TEST(HeldSessionBodies, APageKeptWholeGivesAllItsBodiesAndTheBodyCacheTheRest)
{
    SessionBodyCache cache(std::size_t{1024} * 1024);
    RenderedPages pages(std::size_t{1024} * 1024);
    const std::vector<SessionKey> sessions = {{3, 30}, {2, 20}};
    auto whole = page_of(sessions, "whole");
    const auto first_body = whole.bodies[0];
    pages.keep("self", std::move(whole));

    HeldSessionBodies held(cache, pages, "self");
    EXPECT_EQ(held.holds(sessions), (std::vector<bool>{true, true}));
    ASSERT_NE(held.whole_page(), nullptr);
    EXPECT_EQ(held.whole_page()->text, "whole");
    ASSERT_EQ(held.listed().size(), 2U);
    EXPECT_EQ(held.listed()[0].body, first_body);
    EXPECT_EQ(held.listed()[1].id, 2);
    EXPECT_EQ(held.sessions(), sessions);

    // Session 2 changed: the whole page does not answer, the body cache does (it holds session 3 only).
    const auto body3 = body(3);
    for (int offers = 0; offers < 2; ++offers) { // kept the second time it is offered
        cache.keep(3, 30, body3->text, body3->text.size());
    }
    EXPECT_EQ(held.holds({{3, 30}, {2, 21}}), (std::vector<bool>{true, false}));
    EXPECT_EQ(held.whole_page(), nullptr);
    EXPECT_EQ(held.listed()[0].body->text, body3->text);
    EXPECT_FALSE(held.listed()[1].held());
}

} // namespace
} // namespace jobsessions::api
