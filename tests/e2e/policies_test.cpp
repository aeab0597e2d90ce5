// SPDX-License-Identifier: Apache-2.0
// The policies API: define, list, change and delete policies.
#include "jobsessions/util/time.hpp"

#include "e2e/e2e_fixture.hpp"

#include <cstdint>

namespace jobsessions::test {
namespace {

class Policies : public ServerTest {
protected:
    HttpResponse create_policy(const std::string& body)
    {
        return client_->send_json("POST", "/api/v1/policies", body, admin_token());
    }
};

TEST_F(Policies, EnvironmentValuesAreReadBackByAdministratorsAlone)
{
    start(false, {"--access-log"});
    admin_token_.clear();
    const std::string secret = "correct-horse-restic-7";
    const auto created = create_policy(R"({"name":"restic","command":["restic","backup","/home"],
        "environment":{"RESTIC_PASSWORD":")" +
                                       secret + R"(","PATH":"/usr/bin:/bin"}})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = str(created.json(), "id");
    // The Administrator who set them reads them back (a PUT of what was read keeps them).
    EXPECT_EQ(str(created.json().at("environment"), "RESTIC_PASSWORD"), secret);
    EXPECT_EQ(str(client_->get("/api/v1/policies/" + id, admin_token()).json().at("environment"), "RESTIC_PASSWORD"),
              secret);
    for (const char* role : {"Viewer", "Operator", "Agent"}) {
        const auto token = login_new_user(std::string("user-") + role, role);
        const auto one = client_->get("/api/v1/policies/" + id, token);
        ASSERT_EQ(one.status, 200) << role;
        const auto all = client_->get("/api/v1/policies", token);
        ASSERT_EQ(all.status, 200) << role;
        for (const auto& body : {one.body, all.body}) {
            EXPECT_EQ(body.find(secret), std::string::npos) << role << ": " << body;
            EXPECT_EQ(body.find("/usr/bin:/bin"), std::string::npos) << role << ": " << body;
        }
        // The names stay, so that a reader knows what the command is given.
        const auto environment = one.json().at("environment").as_object();
        EXPECT_EQ(str(environment, "RESTIC_PASSWORD"), "********") << role;
        EXPECT_EQ(str(environment, "PATH"), "********") << role;
    }
    // Nor do they reach the server's log, or an error about the environment.
    const auto refused = client_->send_json(
        "PUT", "/api/v1/policies/" + id,
        R"({"name":"restic","command":["restic"],"environment":{"A=B":")" + secret + R"("}})", admin_token());
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.body.find(secret), std::string::npos) << refused.body;
    EXPECT_EQ(server_->stderr_text().find(secret), std::string::npos);
}

TEST_F(Policies, CreateAnswersTheWholePolicyWithDefaultsAndLinks)
{
    const auto res = create_policy(R"({"name":"home","command":["tar","-czf","/backup/home.tgz","/home"]})");
    ASSERT_EQ(res.status, 201) << res.body;
    const auto p = res.json().as_object();
    const auto id = str(p, "id");
    EXPECT_EQ(id.size(), 36U);
    EXPECT_EQ(res.header("Location"), server_->url() + "/api/v1/policies/" + id);
    // Every member, in this order.
    std::vector<std::string> keys;
    for (const auto& member : p) {
        keys.emplace_back(member.key());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{
                        "id", "name", "description", "sessionType", "command", "workingDirectory", "environment",
                        "schedule", "enabled", "timeoutSeconds", "stopGraceSeconds", "warningExitCodes",
                        "retentionDays", "maxConcurrentRuns", "catchUp", "nextRunUtc", "lastRun", "usn", "_links"}));
    EXPECT_EQ(str(p, "sessionType"), "PolicyBackup");
    EXPECT_EQ(p.at("command").as_array().size(), 4U);
    EXPECT_EQ(str(p, "schedule"), "");
    EXPECT_TRUE(p.at("enabled").as_bool());
    EXPECT_TRUE(p.at("timeoutSeconds").is_null());
    EXPECT_EQ(p.at("stopGraceSeconds").as_int64(), 30);
    EXPECT_EQ(p.at("maxConcurrentRuns").as_int64(), 1);
    EXPECT_FALSE(p.at("catchUp").as_bool());
    EXPECT_TRUE(p.at("nextRunUtc").is_null()); // no schedule: started by hand only
    EXPECT_TRUE(p.at("lastRun").is_null());
    EXPECT_GT(p.at("usn").as_int64(), 0);
    EXPECT_EQ(str(p.at("_links").at("self"), "href"), server_->url() + "/api/v1/policies/" + id);
    EXPECT_EQ(str(p.at("_links").at("start"), "href"), server_->url() + "/api/v1/policies/" + id + "/start");
    EXPECT_EQ(str(p.at("_links").at("sessions"), "href"), server_->url() + "/api/v1/jobSessions?PolicyId=" + id);

    const auto got = client_->get("/api/v1/policies/" + id, admin_token());
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.body, res.body);
    const auto list = client_->get("/api/v1/policies", admin_token());
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json().at("totalCount").as_int64(), 1);
    EXPECT_EQ(str(list.json().at("results").as_array().at(0), "id"), id);
}

TEST_F(Policies, UpdateReplacesTheDefinitionWithANewUsn)
{
    const auto created = create_policy(R"({"name":"db","command":["pg_dump","app"]})");
    ASSERT_EQ(created.status, 201);
    const auto id = str(created.json(), "id");
    const auto res = client_->send_json("PUT", "/api/v1/policies/" + id,
                                        R"({"name":"db nightly","command":["pg_dump","-Fc","app"],
                                            "schedule":"CRON_TZ=Europe/Berlin 30 2 * * *","timeoutSeconds":3600,
                                            "warningExitCodes":[1],"environment":{"PGHOST":"db","PGUSER":"backup"},
                                            "retentionDays":14,"catchUp":true,"sessionType":"PolicyArchive"})",
                                        admin_token());
    ASSERT_EQ(res.status, 200) << res.body;
    const auto p = res.json().as_object();
    EXPECT_EQ(str(p, "id"), id);
    EXPECT_EQ(str(p, "name"), "db nightly");
    EXPECT_EQ(str(p, "schedule"), "CRON_TZ=Europe/Berlin 30 2 * * *");
    EXPECT_EQ(p.at("timeoutSeconds").as_int64(), 3600);
    EXPECT_EQ(p.at("retentionDays").as_int64(), 14);
    EXPECT_EQ(str(p, "sessionType"), "PolicyArchive");
    EXPECT_EQ(str(p.at("environment"), "PGUSER"), "backup");
    EXPECT_GT(p.at("usn").as_int64(), created.json().at("usn").as_int64());
    EXPECT_EQ(client_->get("/api/v1/policies/" + id, admin_token()).body, res.body);
}

TEST_F(Policies, NamesAreUniqueWithoutRegardToCase)
{
    ASSERT_EQ(create_policy(R"({"name":"Home","command":["true"]})").status, 201);
    const auto res = create_policy(R"({"name":"home","command":["true"]})");
    EXPECT_EQ(res.status, 409);
    EXPECT_NE(res.body.find("A policy named 'home' exists already."), std::string::npos) << res.body;
    EXPECT_EQ(client_->get("/api/v1/policies", admin_token()).json().at("totalCount").as_int64(), 1);
}

TEST_F(Policies, EveryBadMemberIsNamedAndNothingIsStored)
{
    const auto res = create_policy(R"({"name":"","command":"tar -czf x","schedule":"61 * * * *",
                                       "sessionType":"Nightly","timeoutSeconds":0,"stopGraceSeconds":-1,
                                       "warningExitCodes":[0],"maxConcurrentRuns":0,"environment":{"A":1},
                                       "enabled":"yes"})");
    ASSERT_EQ(res.status, 400) << res.body;
    const auto errors = res.json().at("errors").as_object();
    for (const char* field : {"command", "sessionType", "timeoutSeconds", "stopGraceSeconds", "warningExitCodes",
                              "maxConcurrentRuns", "environment", "enabled"}) {
        EXPECT_TRUE(errors.contains(field)) << field << ": " << res.body;
    }
    // Schedule and name are checked once the members have the right types.
    const auto schedule = create_policy(R"({"name":"x","command":["true"],"schedule":"61 * * * *"})");
    ASSERT_EQ(schedule.status, 400);
    EXPECT_EQ(std::string(schedule.json().at("errors").at("schedule").as_array().at(0).as_string()),
              "Not a schedule: the minute field '61' is outside 0-59.");
    const auto zone = create_policy(R"({"name":"x","command":["true"],"schedule":"CRON_TZ=Moon/Base 0 0 * * *"})");
    ASSERT_EQ(zone.status, 400);
    EXPECT_TRUE(zone.json().at("errors").as_object().contains("schedule"));
    const auto missing = create_policy(R"({"description":"no name, no command"})");
    ASSERT_EQ(missing.status, 400);
    EXPECT_TRUE(missing.json().at("errors").as_object().contains("name"));
    EXPECT_TRUE(missing.json().at("errors").as_object().contains("command"));
    const auto directory = create_policy(R"({"name":"x","command":["true"],"workingDirectory":"relative/dir"})");
    ASSERT_EQ(directory.status, 400);
    EXPECT_TRUE(directory.json().at("errors").as_object().contains("workingDirectory"));
    const auto variable = create_policy(R"({"name":"x","command":["true"],"environment":{"A=B":"c"}})");
    ASSERT_EQ(variable.status, 400);
    EXPECT_TRUE(variable.json().at("errors").as_object().contains("environment"));
    EXPECT_EQ(client_->get("/api/v1/policies", admin_token()).json().at("totalCount").as_int64(), 0);
}

TEST_F(Policies, RolesDecideWhoMayReadChangeAndStart)
{
    add_user(data_dir(), "viewer", "Viewer", "viewer-password");
    add_user(data_dir(), "operator", "Operator", "operator-password");
    const auto viewer = login(*client_, "viewer", "viewer-password");
    const auto op = login(*client_, "operator", "operator-password");
    const auto created = create_policy(R"({"name":"p","command":["true"]})");
    const auto id = str(created.json(), "id");
    EXPECT_EQ(client_->get("/api/v1/policies", viewer).status, 200);
    EXPECT_EQ(client_->get("/api/v1/policies/" + id, viewer).status, 200);
    EXPECT_EQ(client_->send_json("POST", "/api/v1/policies", R"({"name":"q","command":["true"]})", op).status, 403);
    EXPECT_EQ(client_->send_json("PUT", "/api/v1/policies/" + id, R"({"name":"q","command":["true"]})", op).status,
              403);
    EXPECT_EQ(client_->request("DELETE", "/api/v1/policies/" + id, "", {{"Authorization", "Bearer " + op}}).status,
              403);
    EXPECT_EQ(client_->send_json("POST", "/api/v1/policies/" + id + "/start", "", viewer).status, 403);
    EXPECT_EQ(client_->send_json("POST", "/api/v1/policies/" + id + "/start", "", op).status, 202);
    EXPECT_EQ(client_->get("/api/v1/policies").status, 401);
}

TEST_F(Policies, APolicyTellsItsNextRunAndItsNewestSession)
{
    const auto before = util::now_micros();
    const auto created = create_policy(R"({"name":"nightly","command":["true"],"schedule":"30 1 * * *"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = str(created.json(), "id");
    // The next 01:30 UTC: later than now, at most a day away.
    const auto next_text = str(created.json(), "nextRunUtc");
    EXPECT_NE(next_text.find("T01:30:00"), std::string::npos) << next_text;
    const auto next = util::parse_timestamp(next_text);
    ASSERT_TRUE(next.has_value()) << next_text;
    EXPECT_GT(*next, before);
    EXPECT_LE(*next, before + std::int64_t{24} * 3600 * 1'000'000);
    EXPECT_TRUE(created.json().at("lastRun").is_null());

    const auto started = client_->send_json("POST", "/api/v1/policies/" + id + "/start", "", admin_token());
    ASSERT_EQ(started.status, 202) << started.body;
    const auto session_id = str(started.json(), "id");
    for (const auto& token : {admin_token(), login_new_user("viewer", "Viewer")}) {
        const auto got = client_->get("/api/v1/policies/" + id, token);
        ASSERT_EQ(got.status, 200) << got.body;
        const auto policy = got.json();
        const auto& last = policy.at("lastRun");
        ASSERT_TRUE(last.is_object()) << got.body;
        EXPECT_EQ(str(last, "sessionId"), session_id);
        EXPECT_EQ(str(last, "executionStartTime"), str(started.json(), "executionStartTime"));
        EXPECT_TRUE(str(last, "status") == "Running" || str(last, "status") == "Success") << got.body;
        EXPECT_EQ(str(policy.at("_links").at("lastRun"), "href"), server_->url() + "/api/v1/jobSessions/" + session_id);
        const auto list = client_->get("/api/v1/policies", token);
        EXPECT_EQ(str(list.json().at("results").at(0).at("lastRun"), "sessionId"), session_id);
    }
    // An Agent sees only its own sessions: not the runs of the server's policies.
    const auto agent = client_->get("/api/v1/policies/" + id, login_new_user("agent", "Agent"));
    ASSERT_EQ(agent.status, 200);
    EXPECT_TRUE(agent.json().at("lastRun").is_null()) << agent.body;

    // Disabled, or without a schedule: no next run.
    const auto disabled = client_->send_json(
        "PUT", "/api/v1/policies/" + id,
        R"({"name":"nightly","command":["true"],"schedule":"30 1 * * *","enabled":false})", admin_token());
    ASSERT_EQ(disabled.status, 200) << disabled.body;
    EXPECT_TRUE(disabled.json().at("nextRunUtc").is_null());
    EXPECT_EQ(str(disabled.json().at("lastRun"), "sessionId"), session_id);
}

TEST_F(Policies, DeleteAndUnknownIds)
{
    const auto created = create_policy(R"({"name":"p","command":["true"]})");
    const auto id = str(created.json(), "id");
    const auto auth = Headers{{"Authorization", "Bearer " + admin_token()}};
    EXPECT_EQ(client_->request("DELETE", "/api/v1/policies/" + id, "", auth).status, 204);
    const auto gone = client_->get("/api/v1/policies/" + id, admin_token());
    EXPECT_EQ(gone.status, 404);
    EXPECT_NE(gone.body.find("Policy '" + id + "' was not found."), std::string::npos);
    EXPECT_EQ(client_->request("DELETE", "/api/v1/policies/" + id, "", auth).status, 404);
    EXPECT_EQ(
        client_->send_json("PUT", "/api/v1/policies/nope", R"({"name":"x","command":["true"]})", admin_token()).status,
        404);
    EXPECT_EQ(client_->send_json("POST", "/api/v1/policies/nope/start", "", admin_token()).status, 404);
    EXPECT_EQ(client_->request("DELETE", "/api/v1/policies/x?force=maybe", "", auth).status, 400);
}

} // namespace
} // namespace jobsessions::test
