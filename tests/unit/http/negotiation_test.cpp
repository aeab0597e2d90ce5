// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/http/negotiation.hpp"

#include <gtest/gtest.h>

namespace jobsessions::http {
namespace {

TEST(AcceptsCoding, ANamedCodingIsTakenUnlessItsQualityIsZero)
{
    EXPECT_TRUE(accepts_coding("gzip", "gzip"));
    EXPECT_TRUE(accepts_coding("deflate, GZIP;q=0.5", "gzip"));
    EXPECT_TRUE(accepts_coding(" br , gzip ", "gzip"));
    EXPECT_FALSE(accepts_coding("gzip;q=0", "gzip"));
    EXPECT_FALSE(accepts_coding("gzip; q=0.000", "gzip"));
    EXPECT_TRUE(accepts_coding("gzip;q=0.001", "gzip"));
    EXPECT_FALSE(accepts_coding("", "gzip"));
    EXPECT_FALSE(accepts_coding("identity", "gzip"));
    EXPECT_FALSE(accepts_coding("x-gzip2", "gzip"));
}

TEST(AcceptsCoding, TheWildcardCountsOnlyForCodingsNotNamed)
{
    EXPECT_TRUE(accepts_coding("*", "br"));
    EXPECT_FALSE(accepts_coding("*;q=0", "br"));
    EXPECT_FALSE(accepts_coding("*, br;q=0", "br"));
    EXPECT_TRUE(accepts_coding("*;q=0, br", "br"));
}

TEST(EtagMatches, WeakComparisonAndTheStar)
{
    EXPECT_TRUE(etag_matches(R"("abc")", R"("abc")"));
    EXPECT_TRUE(etag_matches(R"(W/"abc")", R"("abc")"));
    EXPECT_TRUE(etag_matches(R"("x", "abc")", R"("abc")"));
    EXPECT_TRUE(etag_matches("*", R"("abc")"));
    EXPECT_FALSE(etag_matches(R"("abcd")", R"("abc")"));
    EXPECT_FALSE(etag_matches("", R"("abc")"));
}

} // namespace
} // namespace jobsessions::http
