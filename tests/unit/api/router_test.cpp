// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/router.hpp"
#include "jobsessions/store/store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace jobsessions::api {
namespace {

using boost::beast::http::verb;

TEST(RouteTable, HasNoDuplicateRoutes)
{
    std::set<std::pair<int, std::string>> seen;
    for (const auto& r : routes()) {
        EXPECT_TRUE(seen.insert({static_cast<int>(r.method), std::string(r.path)}).second) << r.path;
    }
}

TEST(RouteTable, OnlyTheTokenIssueAboutAndTheApiDescriptionArePublic)
{
    std::set<std::string> public_routes;
    for (const auto& r : routes()) {
        EXPECT_NE(r.handler, nullptr) << r.path;
        if (!r.permission) {
            public_routes.insert(std::string(boost::beast::http::to_string(r.method)) + " " + std::string(r.path));
        }
    }
    EXPECT_EQ(public_routes, (std::set<std::string>{"POST /api/oauth2/token", "GET /api/v1/system/about",
                                                    "GET /api/v1/openapi.json", "GET /health/ready"}));
}

// Lists are read on the I/O thread, however deep their page (the kept counts place it); text and usn filters,
// which may walk much of an index, go to the blocking pool.
TEST(RouteTable, OnlyTextAndUsnFiltersOfTheListGoToTheBlockingPool)
{
    Router router(routes());
    std::string parameter;
    const auto& list = router.match(verb::get, "/api/v1/jobSessions", parameter);
    EXPECT_EQ(list.execution, Execution::Read);
    ASSERT_NE(list.read_cost, nullptr);
    test::TempDir dir;
    auto store = store::open_sqlite_store({dir.file("jobsessions.db")});
    ASSERT_TRUE(store) << store.error().message;
    util::SystemClock clock;
    service::ChangeHub hub;
    service::SessionService sessions(**store, **store, clock, hub);
    const auto runs_long = [&](std::string_view target) {
        http::Request request;
        request.target = target;
        return list.read_cost(request, sessions) == store::ReadCost::Long;
    };
    EXPECT_FALSE(runs_long("/api/v1/jobSessions"));
    EXPECT_FALSE(runs_long("/api/v1/jobSessions?Types=PolicyBackup&offset=9990&limit=1000"));
    EXPECT_FALSE(runs_long("/api/v1/jobSessions?OFFSET=900000&FromUtc=2026-01-01"));
    EXPECT_FALSE(runs_long("/api/v1/jobSessions?FromUtc=2026-01-01&Filter="));
    EXPECT_TRUE(runs_long("/api/v1/jobSessions?filter=nightly"));
    EXPECT_TRUE(runs_long("/api/v1/jobSessions?usn=5"));
    EXPECT_TRUE(runs_long("/api/v1/jobSessions?offset=20000&USN=5"));
    // Names and values may be percent-encoded.
    EXPECT_TRUE(runs_long("/api/v1/jobSessions?Types=PolicyBackup&Fil%74er=a+b"));
    EXPECT_TRUE(runs_long("/api/v1/jobSessions?%55sn=%35"));
    EXPECT_FALSE(runs_long("/api/v1/jobSessions?Fil%74er=&offset=%3"));
    EXPECT_FALSE(runs_long("/api/v1/jobSessions?#filter=nightly"));
}

TEST(Router, MatchesTemplatesWithoutRegardToCaseAndCapturesTheParameter)
{
    Router router(routes());
    std::string parameter;
    const auto& r = router.match(verb::get, "/API/V1/jobsessions/39?x=1", parameter);
    EXPECT_EQ(r.path, "/api/v1/jobSessions/{id}");
    EXPECT_EQ(parameter, "39");
    const auto& slash = router.match(verb::get, "/api/v1/jobSessions/40/", parameter);
    EXPECT_EQ(slash.path, "/api/v1/jobSessions/{id}");
    EXPECT_EQ(parameter, "40");
    const auto& decoded = router.match(verb::get, "/api/v1/jobSessions/%34%31/log", parameter);
    EXPECT_EQ(decoded.path, "/api/v1/jobSessions/{id}/log");
    EXPECT_EQ(parameter, "41");
    // Literal segments match after decoding, too; an encoded slash stays inside its segment.
    const auto& literal = router.match(verb::get, "/api/v1/job%53essions/%34%2F2", parameter);
    EXPECT_EQ(literal.path, "/api/v1/jobSessions/{id}");
    EXPECT_EQ(parameter, "4/2");
}

TEST(Router, UnknownPathIsNotFoundAndWrongMethodListsTheAllowedOnes)
{
    Router router(routes());
    std::string parameter;
    const auto& missing = router.match(verb::get, "/api/v1/nothing", parameter);
    EXPECT_EQ(missing.method, verb::unknown);
    EXPECT_EQ(missing.path, "");
    for (const auto* target :
         {"/", "/api/v1/jobSessions/1/log/x/y/z/a/b/c/d", "/api/v1//log", "/api/v1/jobSessions//log"}) {
        EXPECT_EQ(router.match(verb::get, target, parameter).path, "") << target;
    }
    const auto& wrong = router.match(verb::put, "/api/v1/jobSessions/1", parameter);
    EXPECT_EQ(wrong.method, verb::unknown);
    EXPECT_EQ(wrong.allow, "GET, HEAD, PATCH");
}

TEST(Router, HeadTakesTheGetRouteOfAPathAndNoOther)
{
    Router router(routes());
    std::string parameter;
    const auto& session = router.match(verb::head, "/api/v1/jobSessions/17", parameter);
    EXPECT_EQ(session.method, verb::get);
    EXPECT_EQ(session.path, "/api/v1/jobSessions/{id}");
    EXPECT_EQ(parameter, "17");
    const auto& export_only = router.match(verb::head, "/api/v1/jobSessions/export", parameter);
    EXPECT_EQ(export_only.method, verb::unknown);
    EXPECT_EQ(export_only.allow, "POST");
}

// Targets of plain characters are split as they are; others are parsed and decoded first. Both ways match alike.
TEST(Router, PlainAndEncodedTargetsMatchAlikeAndInvalidOnesAreRefused)
{
    Router router(routes());
    std::string parameter;
    for (const auto* target : {"/api/v1/jobSessions/77/log?offset=0&limit=30", "/API/V1/JOBSESSIONS/77/LOG?a=?/:@",
                               "/api/v1/jobSessions/%37%37/log", "/api/v1/job%73essions/77/log?x=%20"}) {
        const auto& route = router.match(verb::get, target, parameter);
        EXPECT_EQ(route.path, "/api/v1/jobSessions/{id}/log") << target;
        EXPECT_EQ(parameter, "77") << target;
    }
    // A parameter longer than the part of a path folded at once.
    const std::string long_id(300, '9');
    EXPECT_EQ(router.match(verb::get, "/api/v1/jobSessions/" + long_id + "/log", parameter).path,
              "/api/v1/jobSessions/{id}/log");
    EXPECT_EQ(parameter, long_id);
    EXPECT_EQ(router.match(verb::get, "/api/v1/jobSessions/" + long_id + "/LOG", parameter).path,
              "/api/v1/jobSessions/{id}/log");
    const Route& not_found = router.match(verb::get, "/api/v1/nothing", parameter);
    const Route& invalid = router.match(verb::get, "api/v1/jobSessions", parameter);
    EXPECT_NE(&invalid, &not_found);
    for (const auto* target : {"/api/v1/jobSessions/1 2", "/api/v1/jobSessions/%zz", "/api/v1/jobSessions#x",
                               "/api/v1/jobSessions/{id}", "", "?a=1"}) {
        EXPECT_EQ(&router.match(verb::get, target, parameter), &invalid) << target;
    }
}

} // namespace
} // namespace jobsessions::api
