// SPDX-License-Identifier: Apache-2.0
// Large answers of the API go gzip-compressed to clients that ask for it (Accept-Encoding), byte for byte the same
// JSON once decoded; everything else is unchanged.
#include "e2e/e2e_fixture.hpp"
#include "support/gunzip.hpp"

namespace jobsessions::test {
namespace {

class Compression : public ServerTest {
protected:
    /// A finished session with `lines` log entries; returns its id.
    std::string session_with_log(int lines)
    {
        auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
        for (int first = 0; first < lines; first += 500) {
            std::string body = R"({"log":[)";
            for (int i = first; i < std::min(lines, first + 500); ++i) {
                body += (i > first ? "," : "") + std::string(R"({"status":"Success","message":"copied /srv/file-)") +
                        std::to_string(i * 7919) + ".bin\"}";
            }
            body += "]}";
            const auto appended = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log", body, admin_token());
            EXPECT_EQ(appended.status, 201) << appended.body;
        }
        const auto finished =
            client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token());
        EXPECT_EQ(finished.status, 200) << finished.body;
        return id;
    }

    HttpResponse get_accepting(const std::string& target, const std::string& accept_encoding)
    {
        return client_->request("GET", target, "",
                                {{"Authorization", "Bearer " + admin_token()}, {"Accept-Encoding", accept_encoding}});
    }
};

TEST_F(Compression, ALogPageIsGzippedAndDecodesToTheSameJson)
{
    const auto id = session_with_log(2'000);
    const auto target = "/api/v1/jobSessions/" + id + "/log?limit=2000";
    const auto plain = client_->get(target, admin_token());
    ASSERT_EQ(plain.status, 200);
    EXPECT_FALSE(plain.has_header("Content-Encoding"));
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");

    const auto gzipped = get_accepting(target, "gzip, deflate, br, zstd");
    ASSERT_EQ(gzipped.status, 200);
    EXPECT_EQ(gzipped.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gzipped.header("Vary"), "Accept-Encoding");
    EXPECT_EQ(gzipped.header("Content-Type"), plain.header("Content-Type"));
    EXPECT_EQ(gzipped.header("Content-Length"), std::to_string(gzipped.body.size()));
    EXPECT_LT(gzipped.body.size() * 10, plain.body.size());
    EXPECT_EQ(gunzip(gzipped.body), plain.body);

    // A client that refuses gzip gets the JSON as it is.
    const auto refused = get_accepting(target, "gzip;q=0, identity");
    EXPECT_FALSE(refused.has_header("Content-Encoding"));
    EXPECT_EQ(refused.body, plain.body);
}

TEST_F(Compression, AListPageIsGzippedTheSameWhetherCachedOrNot)
{
    for (int i = 0; i < 60; ++i) {
        create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2026-01-02T03:04:05Z",)"
               R"("executionStopTime":"2026-01-02T04:04:05Z","backupJobInfo":{"policyName":"Nightly"}})");
    }
    const std::string target = "/api/v1/jobSessions?limit=60";
    const auto plain = client_->get(target, admin_token());
    ASSERT_EQ(plain.status, 200);
    ASSERT_GT(plain.body.size(), std::size_t{16} * 1024);
    // Asked three times: the second answer comes from the pages the server keeps whole, compressed then and kept
    // with the page; the third is that compressed copy.
    for (int round = 0; round < 3; ++round) {
        const auto gzipped = get_accepting(target, "gzip");
        ASSERT_EQ(gzipped.status, 200);
        EXPECT_EQ(gzipped.header("Content-Encoding"), "gzip");
        EXPECT_EQ(gzipped.header("Content-Length"), std::to_string(gzipped.body.size()));
        EXPECT_EQ(gunzip(gzipped.body), plain.body) << "round " << round;
    }
    EXPECT_EQ(client_->get(target, admin_token()).body, plain.body);

    // A new session changes the page: compressed or not, it shows it at once.
    const auto id = std::string(create(R"({"type":"HealthCheck","status":"Success"})").at("id").as_string());
    const auto changed = client_->get(target, admin_token());
    ASSERT_EQ(changed.status, 200);
    EXPECT_EQ(changed.json().at("results").as_array().at(0).at("id").as_string(), id);
    for (int round = 0; round < 3; ++round) {
        const auto gzipped = get_accepting(target, "gzip");
        ASSERT_EQ(gzipped.status, 200);
        EXPECT_EQ(gunzip(gzipped.body), changed.body) << "round " << round;
    }
}

TEST_F(Compression, SmallAnswersAndTokensAreNeverCompressed)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto session = get_accepting("/api/v1/jobSessions/" + id, "gzip");
    ASSERT_EQ(session.status, 200);
    EXPECT_FALSE(session.has_header("Content-Encoding"));
    EXPECT_FALSE(session.has_header("Vary"));
    EXPECT_NO_THROW((void)session.json());

    const auto token = client_->request(
        "POST", "/api/oauth2/token", "grant_type=password&username=admin&password=" + std::string(kAdminPassword),
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept-Encoding", "gzip"}});
    ASSERT_EQ(token.status, 200);
    EXPECT_FALSE(token.has_header("Content-Encoding"));

    const auto missing = get_accepting("/api/v1/jobSessions/999999", "gzip");
    EXPECT_EQ(missing.status, 404);
    EXPECT_FALSE(missing.has_header("Content-Encoding"));
}

TEST_F(Compression, TheOpenApiDocumentComesCompressedAheadOfTime)
{
    const auto plain = client_->get("/api/v1/openapi.json");
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
    const auto gzipped = client_->request("GET", "/api/v1/openapi.json", "", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(gzipped.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gunzip(gzipped.body), plain.body);
    const auto brotli = client_->request("GET", "/api/v1/openapi.json", "", {{"Accept-Encoding", "gzip, br"}});
    EXPECT_EQ(brotli.header("Content-Encoding"), "br");
    EXPECT_LT(brotli.body.size(), gzipped.body.size());
}

// curl --compressed, as scripts that fetch large pages use it: it asks for every coding it knows and decodes.
TEST_F(Compression, CurlCompressedGetsTheSameJson)
{
    const auto id = session_with_log(1'000);
    const auto target = "/api/v1/jobSessions/" + id + "/log?limit=1000";
    const auto plain = client_->get(target, admin_token());
    ASSERT_EQ(plain.status, 200);
    // The token goes in curl's configuration on stdin, not in its arguments.
    const auto result = run_program({"/usr/bin/curl", "-sS", "--compressed", "--config", "-", "--write-out",
                                     "\n%header{content-encoding}", server_->url() + target},
                                    "header = \"Authorization: Bearer " + admin_token() + "\"\n");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, plain.body + "\ngzip");
}

} // namespace
} // namespace jobsessions::test
