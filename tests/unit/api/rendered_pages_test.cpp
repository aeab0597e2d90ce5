// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/rendered_pages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jobsessions::api {
namespace {

using Listed = HeldSessionBodies::Listed;

SessionBodyCache::Body body(std::int64_t id)
{
    return std::make_shared<const SessionBodyCache::KeptBody>(
        SessionBodyCache::KeptBody{R"({"id":")" + std::to_string(id) + R"("})", 0});
}

TEST(RenderedPages, APageIsFoundOnlyWithItsTotalAndTheVeryBodiesItWasMadeOf)
{
    RenderedPages pages(1024 * 1024);
    const std::vector<Listed> listed = {{1, body(1)}, {2, body(2)}};
    EXPECT_EQ(pages.find("k", 10, listed), nullptr);
    pages.keep("k", 10, listed, "page text");
    const auto kept = pages.find("k", 10, listed);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->text, "page text");
    EXPECT_EQ(pages.find("k", 11, listed), nullptr) << "another total";
    EXPECT_EQ(pages.find("other", 10, listed), nullptr) << "another key";
    // The same text, but another body: the session was kept again (a new usn, or dropped and read again).
    EXPECT_EQ(pages.find("k", 10, {{1, body(1)}, listed[1]}), nullptr);
    EXPECT_EQ(pages.find("k", 10, {listed[0]}), nullptr) << "fewer sessions";
    EXPECT_EQ(pages.find("k", 10, {listed[1], listed[0]}), nullptr) << "another order";
    // Kept again under the same key: the newer page replaces the older.
    const std::vector<Listed> changed = {listed[0], {2, body(2)}};
    pages.keep("k", 10, changed, "changed text");
    EXPECT_EQ(pages.find("k", 10, listed), nullptr);
    ASSERT_NE(pages.find("k", 10, changed), nullptr);
    EXPECT_EQ(pages.find("k", 10, changed)->text, "changed text");
}

TEST(RenderedPages, StaysWithinItsBytesAndKeepsNothingAtZero)
{
    const std::vector<Listed> listed = {{1, body(1)}};
    RenderedPages none(0);
    none.keep("k", 1, listed, "text");
    EXPECT_EQ(none.find("k", 1, listed), nullptr);
    EXPECT_EQ(none.size_bytes(), 0U);

    constexpr std::size_t kCapacity = 64 * 1024;
    RenderedPages pages(kCapacity);
    pages.keep("huge", 1, listed, std::string(kCapacity / 4, 'x'));
    EXPECT_EQ(pages.find("huge", 1, listed), nullptr) << "a page of more than a quarter is not kept";
    const std::string text(1000, 'p');
    for (int i = 0; i < 200; ++i) {
        pages.keep("page " + std::to_string(i), 1, listed, text);
        EXPECT_LE(pages.size_bytes(), kCapacity);
        ASSERT_NE(pages.find("page " + std::to_string(i), 1, listed), nullptr) << i;
    }
    // Full, it dropped all it held and began again: the first pages are gone.
    EXPECT_EQ(pages.find("page 0", 1, listed), nullptr);
}

} // namespace
} // namespace jobsessions::api
