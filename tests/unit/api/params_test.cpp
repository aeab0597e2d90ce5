// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/params.hpp"

#include <gtest/gtest.h>

namespace jobsessions::api {
namespace {

TEST(Params, NamesMatchWithoutRegardToCase)
{
    const auto p = Params::from_target("/api/v1/jobSessions?Offset=5&FROMUTC=2020-01-01&limit=3");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first("offset"), "5");
    EXPECT_EQ(p->first("FromUtc"), "2020-01-01");
    EXPECT_EQ(p->first("fromutc"), "2020-01-01");
    EXPECT_EQ(p->first("LIMIT"), "3");
    EXPECT_FALSE(p->first("missing"));
}

TEST(Params, RepeatedAndCommaSeparatedValuesAreOneList)
{
    const auto p = Params::from_target("/x?Types=PolicyBackup&types=PolicySnapshot,%20AutoBackup&Types=");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->list("TYPES"), (std::vector<std::string>{"PolicyBackup", "PolicySnapshot", "AutoBackup"}));
}

TEST(Params, DecodesPercentEscapesAndPlus)
{
    const auto p = Params::parse("Filter=daily+backup%21&x=a%2Bb");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first("filter"), "daily backup!");
    EXPECT_EQ(p->first("x"), "a+b");
}

TEST(Params, ParsesEveryTokenBodyOfTheContract)
{
    const auto a =
        Params::parse("Username=admin&Password=secret&refresh_token=&grant_type=Password&mfa_token=&mfa_code=");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->first("username"), "admin");
    EXPECT_EQ(a->first("password"), "secret");
    EXPECT_EQ(a->first("grant_type"), "Password");
    EXPECT_FALSE(a->first("refresh_token")); // empty values count as absent
    EXPECT_TRUE(a->has("refresh_token"));

    const auto b = Params::parse("username=admin&password=secret&rememberMe=false&grant_type=password");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->first("Username"), "admin");
    EXPECT_EQ(b->first("rememberme"), "false");

    const auto c = Params::parse("grant_type=Refresh_token&refresh_token=abc-_DEF");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->first("REFRESH_TOKEN"), "abc-_DEF");
}

TEST(Params, LastValueEndsWhereTheViewEnds)
{
    // The text is not NUL-terminated after the query: the last value must not run on.
    const std::string buffer = "offset=1GARBAGE";
    const auto p = Params::parse(std::string_view(buffer).substr(0, 8));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first("offset"), "1");
}

TEST(Params, EmptyQueryAndNoQueryAreEmpty)
{
    EXPECT_TRUE(Params::from_target("/x")->pairs().empty());
    EXPECT_TRUE(Params::from_target("/x?")->pairs().empty());
    EXPECT_TRUE(Params::parse("")->pairs().empty());
}

TEST(Params, RefusesBadPercentEscapes)
{
    EXPECT_FALSE(Params::parse("a=%zz"));
    EXPECT_FALSE(Params::from_target("/x?a=%4"));
}

} // namespace
} // namespace jobsessions::api
