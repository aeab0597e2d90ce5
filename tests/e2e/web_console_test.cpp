// SPDX-License-Identifier: Apache-2.0
// The web console as the server serves it: pages and files from the binary, their caching, compression and
// security headers, the console's addresses, and the refresh cookie of the token endpoint. What the console does
// in a browser is tested by the browser tests (web/tests/browser).
#include "e2e/e2e_fixture.hpp"

#include <boost/beast/core/string.hpp>

#include <regex>

namespace jobsessions::test {
namespace {

using WebConsole = ServerTest;

std::vector<std::string> all_headers(const HttpResponse& res, const std::string& name)
{
    std::vector<std::string> values;
    for (const auto& [key, value] : res.headers) {
        if (boost::beast::iequals(key, name)) {
            values.push_back(value);
        }
    }
    return values;
}

void expect_security_headers(const HttpResponse& res)
{
    const auto csp = res.header("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp; // no 'unsafe-inline', no other origin
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("http"), std::string::npos) << csp;
    EXPECT_EQ(res.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(res.header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(res.header("X-Frame-Options"), "DENY");
}

// The hashed files the console page names.
std::vector<std::string> assets_of(const std::string& html)
{
    std::vector<std::string> found;
    const std::regex asset(R"re((?:src|href)="(/assets/[^"]+)")re");
    for (std::sregex_iterator it(html.begin(), html.end(), asset), end; it != end; ++it) {
        found.push_back((*it)[1]);
    }
    return found;
}

TEST_F(WebConsole, TheConsolePageIsServedAtTheRootAndAtEveryConsoleAddress)
{
    const auto root = client_->get("/");
    ASSERT_EQ(root.status, 200);
    EXPECT_EQ(root.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(root.body.find("<title>jobsessions</title>"), std::string::npos);
    EXPECT_EQ(root.header("Cache-Control"), "no-cache");
    EXPECT_FALSE(root.header("ETag").empty());
    expect_security_headers(root);
    // No inline script: every script is a file of this server.
    EXPECT_EQ(root.body.find("<script>"), std::string::npos);
    EXPECT_NE(root.body.find(R"(<script type="module" src="/assets/console-)"), std::string::npos);

    // Client-side routes answer the same page, queries and all; never a listing.
    for (const std::string path :
         {"/sessions", "/sessions/12?x=1", "/policies/abc/edit", "/signin?next=%2F", "/no/such/page", "/assets"}) {
        SCOPED_TRACE(path);
        const auto res = client_->get(path);
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.body, root.body);
        expect_security_headers(res);
    }
}

TEST_F(WebConsole, HashedFilesAreKeptAYearAndAMissingFileIs404)
{
    const auto page = client_->get("/");
    const auto assets = assets_of(page.body);
    ASSERT_GE(assets.size(), 3U) << page.body; // icon, style sheet, script
    for (const auto& path : assets) {
        SCOPED_TRACE(path);
        const auto res = client_->get(path);
        ASSERT_EQ(res.status, 200);
        EXPECT_EQ(res.header("Cache-Control"), "public, max-age=31536000, immutable");
        expect_security_headers(res);
        const auto type = res.header("Content-Type");
        if (path.ends_with(".js")) {
            EXPECT_EQ(type, "text/javascript; charset=utf-8");
        } else if (path.ends_with(".css")) {
            EXPECT_EQ(type, "text/css; charset=utf-8");
        } else if (path.ends_with(".svg")) {
            EXPECT_EQ(type, "image/svg+xml");
        }
        EXPECT_FALSE(res.body.empty());
    }
    // A file of another build is not the page: a script that asks for it gets an error it can tell.
    const auto missing = client_->get("/assets/console-00000000.js");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/problem+json; charset=utf-8");
    expect_security_headers(missing);
}

TEST_F(WebConsole, ThePageIsRevalidatedByItsETag)
{
    const auto first = client_->get("/");
    const auto etag = first.header("ETag");
    ASSERT_FALSE(etag.empty());
    const auto again = client_->request("GET", "/", "", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.header("ETag"), etag);
    EXPECT_EQ(again.header("Cache-Control"), "no-cache");
    const auto weak = client_->request("GET", "/sessions", "", {{"If-None-Match", R"("x", W/)" + etag}});
    EXPECT_EQ(weak.status, 304);
    const auto other = client_->request("GET", "/", "", {{"If-None-Match", R"("not-this-one")"}});
    EXPECT_EQ(other.status, 200);
    EXPECT_EQ(other.body, first.body);
}

TEST_F(WebConsole, FilesAreCompressedWhenTheClientTakesIt)
{
    const auto page = client_->get("/");
    std::string script;
    for (const auto& path : assets_of(page.body)) {
        if (path.ends_with(".js")) {
            script = path;
        }
    }
    ASSERT_FALSE(script.empty());
    const auto plain = client_->get(script);
    ASSERT_EQ(plain.status, 200);
    EXPECT_FALSE(plain.has_header("Content-Encoding"));
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");

    const auto gzip = client_->request("GET", script, "", {{"Accept-Encoding", "gzip, deflate"}});
    ASSERT_EQ(gzip.status, 200);
    EXPECT_EQ(gzip.header("Content-Encoding"), "gzip");
    ASSERT_GE(gzip.body.size(), 2U);
    EXPECT_EQ(static_cast<unsigned char>(gzip.body[0]), 0x1fU); // the gzip magic number
    EXPECT_EQ(static_cast<unsigned char>(gzip.body[1]), 0x8bU);
    EXPECT_LT(gzip.body.size(), plain.body.size());

    const auto brotli = client_->request("GET", script, "", {{"Accept-Encoding", "gzip, deflate, br"}});
    EXPECT_EQ(brotli.header("Content-Encoding"), "br");
    EXPECT_LT(brotli.body.size(), gzip.body.size());
    // Each form has its own entity tag, so that a cache never answers one for another.
    EXPECT_NE(brotli.header("ETag"), gzip.header("ETag"));
    EXPECT_NE(gzip.header("ETag"), plain.header("ETag"));

    // q=0 refuses a coding.
    const auto refused = client_->request("GET", script, "", {{"Accept-Encoding", "br;q=0, gzip;q=0"}});
    EXPECT_FALSE(refused.has_header("Content-Encoding"));
    EXPECT_EQ(refused.body, plain.body);
    const auto wildcard = client_->request("GET", script, "", {{"Accept-Encoding", "*"}});
    EXPECT_EQ(wildcard.header("Content-Encoding"), "br");
}

TEST_F(WebConsole, HeadTellsTheLengthAndOtherMethodsAre405)
{
    const auto get = client_->get("/");
    const auto head = client_->request("HEAD", "/");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size()));
    const auto post = client_->request("POST", "/sessions", "x", {{"Content-Type", "text/plain"}});
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("Allow"), "GET, HEAD");
    EXPECT_EQ(post.header("Content-Type"), "application/problem+json; charset=utf-8");
}

TEST_F(WebConsole, TheApiKeepsItsJsonErrors)
{
    for (const std::string path : {"/api", "/api/", "/api/v1/nothing", "/API/V1/nothing", "/api?x=1"}) {
        SCOPED_TRACE(path);
        const auto res = client_->get(path);
        EXPECT_EQ(res.status, 404);
        EXPECT_EQ(res.header("Content-Type"), "application/problem+json; charset=utf-8");
        EXPECT_FALSE(res.has_header("Content-Security-Policy"));
    }
    // A path that only starts like the API is the console's.
    EXPECT_EQ(client_->get("/apiary").status, 200);
}

TEST_F(WebConsole, SwaggerUiIsServedLikeTheConsole)
{
    for (const std::string path : {"/swagger", "/swagger/"}) {
        SCOPED_TRACE(path);
        const auto res = client_->get(path);
        ASSERT_EQ(res.status, 200);
        EXPECT_NE(res.body.find("Swagger UI"), std::string::npos);
        expect_security_headers(res);
        for (const auto& asset : assets_of(res.body)) {
            EXPECT_EQ(client_->get(asset).status, 200) << asset;
        }
    }
}

// The licences of what the console and the Swagger UI page bundle travel with the server, as text anyone may read.
TEST_F(WebConsole, TheLicencesOfTheBundledSoftwareAreServed)
{
    const auto res = client_->get("/licenses.txt");
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Type"), "text/plain; charset=utf-8");
    expect_security_headers(res);
    for (const std::string bundled : {"\nuplot ", "\neventsource-parser ", "\nswagger-ui-dist "}) {
        EXPECT_NE(res.body.find(bundled), std::string::npos) << bundled;
    }
    // The texts themselves, Swagger UI's NOTICE, and what Swagger UI's own bundle carries (React among others).
    EXPECT_NE(res.body.find("Permission is hereby granted, free of charge"), std::string::npos);
    EXPECT_NE(res.body.find("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"), std::string::npos);
    EXPECT_NE(res.body.find("SmartBear Software"), std::string::npos);
    EXPECT_NE(res.body.find("@license React"), std::string::npos);
}

// The console's sign-in: the refresh token only in an HttpOnly cookie scoped to the token endpoint.
TEST_F(WebConsole, TheRefreshTokenCanLiveInAnHttpOnlyCookie)
{
    const auto login = client_->post_form("/api/oauth2/token",
                                          "grant_type=password&username=admin&password=" + std::string(kAdminPassword) +
                                              "&refresh_token_delivery=cookie");
    ASSERT_EQ(login.status, 200) << login.body;
    const auto body = login.json();
    EXPECT_FALSE(body.as_object().contains("refresh_token")) << login.body; // no script may read it
    EXPECT_FALSE(str(body, "access_token").empty());
    const auto cookies = all_headers(login, "Set-Cookie");
    ASSERT_EQ(cookies.size(), 2U);
    const std::regex refresh_cookie(
        R"(jobsessions_refresh=([A-Za-z0-9_-]+); Max-Age=1209600; Path=/api/oauth2/token; HttpOnly; Secure; SameSite=Strict)");
    std::smatch match;
    ASSERT_TRUE(std::regex_match(cookies[0], match, refresh_cookie)) << cookies[0];
    const std::string first_token = match[1];
    EXPECT_EQ(cookies[1], "jobsessions_login=1; Max-Age=1209600; Path=/; Secure; SameSite=Strict");

    // A refresh without the field takes the cookie, and answers a new one.
    const auto by_cookie = client_->request("POST", "/api/oauth2/token", "grant_type=refresh_token",
                                            {{"Content-Type", "application/x-www-form-urlencoded"},
                                             {"Cookie", "theme=dark; jobsessions_refresh=" + first_token}});
    ASSERT_EQ(by_cookie.status, 200) << by_cookie.body;
    EXPECT_FALSE(by_cookie.json().as_object().contains("refresh_token"));
    const auto rotated = all_headers(by_cookie, "Set-Cookie");
    ASSERT_EQ(rotated.size(), 2U);
    ASSERT_TRUE(std::regex_match(rotated[0], match, refresh_cookie)) << rotated[0];
    const std::string second_token = match[1];
    EXPECT_NE(second_token, first_token);

    // The spent cookie is refused and cleared (and, as for any spent refresh token, ends the login).
    const auto spent = client_->request(
        "POST", "/api/oauth2/token", "grant_type=refresh_token",
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", "jobsessions_refresh=" + first_token}});
    EXPECT_EQ(spent.status, 401);
    const auto cleared = all_headers(spent, "Set-Cookie");
    ASSERT_EQ(cleared.size(), 2U);
    EXPECT_EQ(cleared[0], "jobsessions_refresh=; Max-Age=0; Path=/api/oauth2/token; HttpOnly; Secure; SameSite=Strict");
    EXPECT_EQ(cleared[1], "jobsessions_login=; Max-Age=0; Path=/; Secure; SameSite=Strict");
    const auto after_reuse = client_->request(
        "POST", "/api/oauth2/token", "grant_type=refresh_token",
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", "jobsessions_refresh=" + second_token}});
    EXPECT_EQ(after_reuse.status, 401);

    // Without field or cookie, the field is named as missing; a bad delivery is named too.
    const auto neither = client_->post_form("/api/oauth2/token", "grant_type=refresh_token");
    EXPECT_EQ(neither.status, 400);
    EXPECT_EQ(str(neither.json(), "error"), "invalid_request");
    const auto bad = client_->post_form("/api/oauth2/token", "username=admin&password=x&refresh_token_delivery=post");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("refresh_token_delivery"), std::string::npos);
    // Empty, as real clients send unused fields, it is the default: the token in the body.
    const auto empty = client_->post_form(
        "/api/oauth2/token", "username=admin&password=" + std::string(kAdminPassword) + "&refresh_token_delivery=");
    ASSERT_EQ(empty.status, 200) << empty.body;
    EXPECT_TRUE(empty.json().as_object().contains("refresh_token"));
    EXPECT_FALSE(empty.has_header("Set-Cookie"));
}

TEST_F(WebConsole, SigningOutClearsTheCookies)
{
    const auto login =
        client_->post_form("/api/oauth2/token",
                           "username=admin&password=" + std::string(kAdminPassword) + "&refresh_token_delivery=Cookie");
    ASSERT_EQ(login.status, 200);
    const auto token = str(login.json(), "access_token");
    const std::string cookie = all_headers(login, "Set-Cookie").at(0);
    const auto value = cookie.substr(0, cookie.find(';'));
    const auto out = client_->request("DELETE", "/api/oauth2/token", "", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(out.status, 204);
    const auto cleared = all_headers(out, "Set-Cookie");
    ASSERT_EQ(cleared.size(), 2U);
    EXPECT_EQ(cleared[0].substr(0, cleared[0].find(';')), "jobsessions_refresh=");
    // The revoked login's cookie no longer works.
    const auto refresh = client_->request("POST", "/api/oauth2/token", "grant_type=refresh_token",
                                          {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", value}});
    EXPECT_EQ(refresh.status, 401);
}

} // namespace
} // namespace jobsessions::test
