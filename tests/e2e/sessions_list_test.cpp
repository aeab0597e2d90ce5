// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

class SessionsList : public ServerTest {
protected:
    void SetUp() override
    {
        ServerTest::SetUp();
        // Eight sessions an hour apart: ids 1..8, newest last.
        const char* types[] = {"PolicyBackup", "PolicySnapshot", "HealthCheck",  "PolicyBackup",
                               "PolicyBackup", "RestoreVms",     "PolicyBackup", "PolicySnapshot"};
        for (int i = 0; i < 8; ++i) {
            const int hour = i % 4 * 5;
            const std::string start = "2021-06-0" + std::to_string(1 + i / 4) + "T" + (hour < 10 ? "0" : "") +
                                      std::to_string(hour) + ":00:00Z";
            create(std::string(R"({"type":")") + types[i] + R"(","status":")" + (i % 2 == 0 ? "Success" : "Running") +
                   R"(","executionStartTime":")" + start + R"(","backupJobInfo":{"policyId":"p)" +
                   std::to_string(i % 2) + R"(","policyName":")" + (i % 2 == 0 ? "Daily VMs" : "Weekly DBs") +
                   R"("}})");
        }
    }

    std::vector<std::string> ids(const boost::json::value& page)
    {
        std::vector<std::string> out;
        for (const auto& s : page.at("results").as_array()) {
            out.push_back(str(s, "id"));
        }
        return out;
    }

    boost::json::value list(const std::string& query)
    {
        const auto res = client_->get("/api/v1/jobSessions" + query, admin_token());
        EXPECT_EQ(res.status, 200) << query << " " << res.body;
        return res.json();
    }
};

TEST_F(SessionsList, DefaultPageIsNewestFirstWithLinks)
{
    const auto res = client_->get("/api/v1/jobSessions", admin_token());
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.body.rfind(R"({"offset":0,"limit":30,"totalCount":8,"results":[{"id":"8",)", 0), 0U) << res.body;
    const auto page = res.json();
    EXPECT_EQ(ids(page), (std::vector<std::string>{"8", "7", "6", "5", "4", "3", "2", "1"}));
    const auto& links = page.at("_links").as_object();
    EXPECT_EQ(str(links.at("self"), "href"), server_->url() + "/api/v1/jobSessions?offset=0&limit=30");
    EXPECT_EQ(str(links.at("first"), "href"), server_->url() + "/api/v1/jobSessions?offset=0&limit=30");
    EXPECT_FALSE(links.contains("prev"));
    EXPECT_FALSE(links.contains("next"));
}

TEST_F(SessionsList, PagingEdges)
{
    const auto middle = list("?Offset=2&LIMIT=3&Types=PolicyBackup,PolicySnapshot");
    EXPECT_EQ(middle.at("totalCount").as_int64(), 6);
    EXPECT_EQ(ids(middle), (std::vector<std::string>{"5", "4", "2"}));
    const auto& links = middle.at("_links").as_object();
    const auto base = server_->url() + "/api/v1/jobSessions?Types=PolicyBackup,PolicySnapshot&";
    EXPECT_EQ(str(links.at("self"), "href"), base + "offset=2&limit=3");
    EXPECT_EQ(str(links.at("prev"), "href"), base + "offset=0&limit=3");
    EXPECT_EQ(str(links.at("next"), "href"), base + "offset=5&limit=3");

    const auto one = list("?limit=1");
    EXPECT_EQ(ids(one), std::vector<std::string>{"8"});
    EXPECT_EQ(str(one.at("_links").at("next"), "href"), server_->url() + "/api/v1/jobSessions?offset=1&limit=1");

    const auto past = list("?offset=100");
    EXPECT_TRUE(ids(past).empty());
    EXPECT_EQ(past.at("totalCount").as_int64(), 8);
    EXPECT_FALSE(past.at("_links").as_object().contains("next"));

    const auto all = list("?limit=-1&offset=6");
    EXPECT_EQ(all.at("limit").as_int64(), -1);
    EXPECT_EQ(ids(all), (std::vector<std::string>{"2", "1"}));
    const auto streamed = client_->get("/api/v1/jobSessions?limit=-1", admin_token());
    EXPECT_EQ(streamed.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(ids(streamed.json()).size(), 8U);
}

TEST_F(SessionsList, EveryFilterAloneAndCombined)
{
    EXPECT_EQ(ids(list("?Types=policybackup&Types=RestoreVms")), (std::vector<std::string>{"7", "6", "5", "4", "1"}));
    EXPECT_EQ(ids(list("?Status=Running")), (std::vector<std::string>{"8", "6", "4", "2"}));
    EXPECT_EQ(ids(list("?PolicyId=p0")), (std::vector<std::string>{"7", "5", "3", "1"}));
    EXPECT_EQ(ids(list("?FromUtc=2021-06-02&ToUtc=2021-06-02T10:00:00Z")), (std::vector<std::string>{"6", "5"}));
    EXPECT_EQ(ids(list("?fromutc=2021-06-01T10:00:00%2B00:00")),
              (std::vector<std::string>{"8", "7", "6", "5", "4", "3"}));
    EXPECT_EQ(ids(list("?Filter=weekly")), (std::vector<std::string>{"8", "6", "4", "2"}));
    EXPECT_EQ(ids(list("?Filter=restore")), std::vector<std::string>{"6"});
    EXPECT_EQ(ids(list("?Types=PolicyBackup&Status=Success&FromUtc=2021-06-01T05:00:00Z&Filter=daily&PolicyId=p0")),
              (std::vector<std::string>{"7", "5"}));
    EXPECT_EQ(ids(list("?Usn=6")), (std::vector<std::string>{"8", "7"}));
    EXPECT_EQ(list("?Types=HealthCheck&Status=Running").at("totalCount").as_int64(), 0);
}

TEST_F(SessionsList, EachBadParameterIsNamed)
{
    const auto res = client_->get("/api/v1/jobSessions?Types=Nightly&Status=Failed&offset=-1&limit=1001&"
                                  "FromUtc=yesterday&ToUtc=2021-13-01&Usn=x",
                                  admin_token());
    ASSERT_EQ(res.status, 400);
    const auto body = res.json();
    const auto& errors = body.at("errors").as_object();
    for (const char* name : {"Types", "Status", "offset", "limit", "FromUtc", "ToUtc", "Usn"}) {
        EXPECT_TRUE(errors.contains(name)) << name;
    }
    EXPECT_EQ(client_->get("/api/v1/jobSessions?limit=-2", admin_token()).status, 400);
    EXPECT_EQ(client_->get("/api/v1/jobSessions?offset=1.5", admin_token()).status, 400);
}

TEST_F(SessionsList, AgentListsOnlyItsOwnSessions)
{
    const auto agent = login_new_user("agent", "Agent");
    ASSERT_EQ(client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"AutoBackup"})", agent).status, 201);
    const auto res = client_->get("/api/v1/jobSessions", agent);
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.json().at("totalCount").as_int64(), 1);
    EXPECT_EQ(ids(res.json()), std::vector<std::string>{"9"});
}

// A list keeps the bodies of the finished sessions it rendered and copies them the next time: what it shows is
// still what GET shows, a change to a finished session (its policy deleted) shows at once, and a running session's
// duration grows from one list to the next.
TEST_F(SessionsList, AListedSessionIsWhatGetShowsAndChangesShowAtOnce)
{
    const auto policy =
        client_->send_json("POST", "/api/v1/policies", R"({"name":"nightly","command":["true"]})", admin_token());
    ASSERT_EQ(policy.status, 201) << policy.body;
    const auto policy_id = str(policy.json(), "id");
    const auto done = create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2021-06-03T00:00:00Z",)"
                             R"("executionStopTime":"2021-06-03T01:00:00Z","backupJobInfo":{"policyId":")" +
                             policy_id + R"(","policyName":"nightly"}})");
    const auto done_id = str(done, "id");
    auto results = [&](const std::string& query) {
        const auto res = client_->get("/api/v1/jobSessions" + query, admin_token());
        EXPECT_EQ(res.status, 200) << res.body;
        auto page = res.json();
        return page.at("results").as_array();
    };
    const auto first = results("");
    const auto second = results("");
    ASSERT_EQ(second.size(), 9U);
    ASSERT_EQ(first.size(), second.size());
    for (std::size_t i = 0; i < second.size(); ++i) {
        const auto id = str(second[i], "id");
        const auto got = client_->get("/api/v1/jobSessions/" + id, admin_token()).json();
        if (str(second[i], "status") == "Running") {
            EXPECT_NE(str(first[i], "executionDuration"), str(second[i], "executionDuration")) << id;
            EXPECT_NE(str(second[i], "executionDuration"), str(got, "executionDuration")) << id;
            continue;
        }
        EXPECT_EQ(second[i], got) << id;
        EXPECT_EQ(second[i], first[i]) << id;
    }
    // Under another host, the same sessions carry that host's links, and under the first one theirs again.
    const auto other =
        client_->request("GET", "/api/v1/jobSessions", "",
                         Headers{{"Authorization", "Bearer " + admin_token()}, {"Host", "other.test:8443"}});
    ASSERT_EQ(other.status, 200) << other.body;
    const auto other_results = other.json().at("results").as_array();
    ASSERT_EQ(other_results.size(), second.size());
    for (std::size_t i = 0; i < second.size(); ++i) {
        const auto id = str(second[i], "id");
        auto element = other_results[i].as_object();
        const auto& links = element.at("_links");
        EXPECT_EQ(str(links.at("self"), "href"), "http://other.test:8443/api/v1/jobSessions/" + id);
        EXPECT_EQ(str(links.at("log"), "href"), "http://other.test:8443/api/v1/jobSessions/" + id + "/log");
        if (str(second[i], "status") != "Running") {
            element.erase("_links");
            auto first_host = second[i].as_object();
            first_host.erase("_links");
            EXPECT_EQ(element, first_host) << id;
        }
    }
    const auto again = results("");
    for (std::size_t i = 0; i < second.size(); ++i) {
        if (str(second[i], "status") != "Running") {
            EXPECT_EQ(again[i], second[i]) << str(second[i], "id");
        }
    }
    // The same sessions through a usn filter, which reads the changed sessions along the usn index.
    const auto changed = results("?Usn=0");
    ASSERT_EQ(changed.size(), second.size());
    for (std::size_t i = 0; i < changed.size(); ++i) {
        EXPECT_EQ(str(changed[i], "id"), str(second[i], "id"));
        if (str(changed[i], "status") != "Running") {
            EXPECT_EQ(changed[i], second[i]) << str(changed[i], "id");
        }
    }

    const auto auth = Headers{{"Authorization", "Bearer " + admin_token()}};
    ASSERT_EQ(client_->request("DELETE", "/api/v1/policies/" + policy_id, "", auth).status, 204);
    const auto after = results("");
    ASSERT_EQ(str(after[0], "id"), done_id);
    EXPECT_TRUE(after[0].at("backupJobInfo").at("policyRemoved").as_bool());
    EXPECT_GT(after[0].at("usn").as_int64(), done.at("usn").as_int64());
    EXPECT_EQ(after[0], client_->get("/api/v1/jobSessions/" + done_id, admin_token()).json());
    EXPECT_TRUE(results("?Usn=" + std::to_string(done.at("usn").as_int64()))[0]
                    .at("backupJobInfo")
                    .at("policyRemoved")
                    .as_bool());
}

// A page whose sessions are all finished and were all listed before is kept whole and copied when asked again
// with the same total and the same sessions: it follows a session of it changing, a session landing on it, and
// another host.
TEST_F(SessionsList, AWholePageKeptFollowsEveryChange)
{
    const auto policy =
        client_->send_json("POST", "/api/v1/policies", R"({"name":"nightly","command":["true"]})", admin_token());
    ASSERT_EQ(policy.status, 201) << policy.body;
    const auto policy_id = str(policy.json(), "id");
    const auto of_policy = create(R"({"type":"PolicyBackup","status":"Success",)"
                                  R"("executionStartTime":"2021-05-31T00:00:00Z","backupJobInfo":{"policyId":")" +
                                  policy_id + R"(","policyName":"nightly"}})");
    // Asked three times (rendered, then put together from kept bodies, then copied whole), the page is each time
    // what GET shows of its sessions.
    auto current_page = [&](const std::string& query, const Headers& headers) {
        const std::string path = "/api/v1/jobSessions?Status=Success&" + query;
        const auto first = client_->request("GET", path, "", headers);
        EXPECT_EQ(first.status, 200) << first.body;
        for (int again = 0; again < 2; ++again) {
            EXPECT_EQ(client_->request("GET", path, "", headers).body, first.body);
        }
        const auto page = first.json();
        for (const auto& listed : page.at("results").as_array()) {
            const auto id = str(listed, "id");
            EXPECT_EQ(listed, client_->request("GET", "/api/v1/jobSessions/" + id, "", headers).json()) << id;
        }
        return page;
    };
    const auto auth = Headers{{"Authorization", "Bearer " + admin_token()}};
    const auto before = current_page("offset=1&limit=3", auth);
    EXPECT_EQ(before.at("totalCount").as_int64(), 5);
    EXPECT_EQ(ids(before), (std::vector<std::string>{"5", "3", "1"}));

    create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2021-06-05T00:00:00Z"})");
    const auto landed = current_page("offset=1&limit=3", auth);
    EXPECT_EQ(landed.at("totalCount").as_int64(), 6);
    EXPECT_EQ(ids(landed), (std::vector<std::string>{"7", "5", "3"}));
    EXPECT_EQ(str(landed.at("_links").at("next"), "href"),
              server_->url() + "/api/v1/jobSessions?Status=Success&offset=4&limit=3");

    // A session at the end of the list: the same sessions on the page, another total.
    const auto oldest =
        create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2021-05-01T00:00:00Z"})");
    const auto grown = current_page("offset=1&limit=3", auth);
    EXPECT_EQ(grown.at("totalCount").as_int64(), 7);
    EXPECT_EQ(ids(grown), ids(landed));

    const auto last = current_page("offset=5&limit=3", auth);
    ASSERT_EQ(ids(last), (std::vector<std::string>{str(of_policy, "id"), str(oldest, "id")}));
    EXPECT_FALSE(last.at("results").at(0).at("backupJobInfo").at("policyRemoved").as_bool());
    ASSERT_EQ(client_->request("DELETE", "/api/v1/policies/" + policy_id, "", auth).status, 204);
    const auto removed = current_page("offset=5&limit=3", auth);
    EXPECT_TRUE(removed.at("results").at(0).at("backupJobInfo").at("policyRemoved").as_bool());

    const auto other = current_page("offset=1&limit=3",
                                    Headers{{"Authorization", "Bearer " + admin_token()}, {"Host", "other.test:8443"}});
    EXPECT_EQ(ids(other), ids(landed));
    EXPECT_EQ(str(other.at("results").at(0).at("_links").at("self"), "href"),
              "http://other.test:8443/api/v1/jobSessions/7");
    EXPECT_EQ(str(other.at("_links").at("self"), "href"),
              "http://other.test:8443/api/v1/jobSessions?Status=Success&offset=1&limit=3");
    EXPECT_EQ(current_page("offset=1&limit=3", auth), grown);
}

// Deep pages of a store of 30,000 sessions over five days (6,000 a day): each page is its slice of the whole
// list streamed with limit=-1, however deep, with and without filters.
TEST(SessionsListDeep, EveryPageIsItsSliceOfTheWholeList)
{
    TempDir dir;
    const auto data = dir.file("data");
    const auto seeded =
        run_program({JOBSESSIONS_SEED_BINARY, "--data-dir", data, "--sessions", "30000", "--days", "5"});
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
    ServerProcess server(ServerOptions{data, false, {"--retention-schedule", "off"}, {}});
    HttpClient client(server);
    const auto token = login(client, "admin", kAdminPassword);
    auto ids = [&](const std::string& query) {
        const auto res = client.get("/api/v1/jobSessions?" + query, token);
        EXPECT_EQ(res.status, 200) << query << " " << res.body;
        const auto page = res.json();
        std::vector<std::string> out;
        for (const auto& s : page.at("results").as_array()) {
            out.push_back(str(s, "id"));
        }
        return out;
    };
    for (const std::string filter :
         {"", "Types=PolicyBackup&", "Status=Success,Error&Types=PolicyBackup,HealthCheck&",
          "FromUtc=2000-01-01&ToUtc=2100-01-01&Status=Warning&", "Types=PolicySnapshot&Filter=group&"}) {
        const auto all = ids(filter + "limit=-1");
        const auto size = static_cast<std::int64_t>(all.size());
        ASSERT_GT(size, 2500) << filter;
        for (const std::int64_t offset : {std::int64_t{0}, size / 3, size / 2 + 1, size - 25, size - 1}) {
            const auto end = std::min(offset + 50, size);
            EXPECT_EQ(ids(filter + "offset=" + std::to_string(offset) + "&limit=50"),
                      std::vector<std::string>(all.begin() + offset, all.begin() + end))
                << filter << "offset=" << offset;
        }
        // The longest page there is.
        EXPECT_EQ(ids(filter + "offset=7&limit=1000"), std::vector<std::string>(all.begin() + 7, all.begin() + 1007))
            << filter;
    }
}

} // namespace
} // namespace jobsessions::test
