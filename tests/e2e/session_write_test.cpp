// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

using SessionWrite = ServerTest;

TEST_F(SessionWrite, CreateAnswersCreatedWithLocationAndTheSession)
{
    const auto res =
        client_->send_json("POST", "/api/v1/jobSessions",
                           R"({"type":"policybackup","status":"running",)"
                           R"("executionStartTime":"2021-06-03T10:00:00+02:00",)"
                           R"("backupJobInfo":{"policyId":"a1","policyName":"Daily","protectedInstancesCount":2}})",
                           admin_token());
    ASSERT_EQ(res.status, 201) << res.body;
    const auto body = res.json();
    const auto id = str(body, "id");
    EXPECT_EQ(res.header("Location"), server_->url() + "/api/v1/jobSessions/" + id);
    EXPECT_EQ(str(body, "type"), "PolicyBackup");
    EXPECT_EQ(str(body, "localizedType"), "Policy Backup");
    EXPECT_EQ(str(body, "status"), "Running");
    EXPECT_EQ(str(body, "executionStartTime"), "2021-06-03T08:00:00.000000Z");
    EXPECT_EQ(body.at("backupJobInfo").at("policyRemoved").as_bool(), false);
    const auto read = client_->get("/api/v1/jobSessions/" + id, admin_token());
    ASSERT_EQ(read.status, 200);
    EXPECT_EQ(read.json().at("usn"), body.at("usn"));
}

TEST_F(SessionWrite, InvalidInputNamesEachBadFieldAndStoresNothing)
{
    const auto before = create(R"({"type":"PolicyBackup"})");
    const auto res = client_->send_json("POST", "/api/v1/jobSessions",
                                        R"({"type":"Backup","status":"Failed","executionStartTime":"yesterday",)"
                                        R"("backupJobInfo":{"protectedInstancesCount":-1}})",
                                        admin_token());
    ASSERT_EQ(res.status, 400);
    const auto body = res.json();
    EXPECT_EQ(str(body, "title"), "One or more validation errors occurred.");
    const auto& errors = body.at("errors").as_object();
    EXPECT_TRUE(errors.contains("type"));
    EXPECT_TRUE(errors.contains("status"));
    EXPECT_TRUE(errors.contains("executionStartTime"));
    EXPECT_TRUE(errors.contains("backupJobInfo.protectedInstancesCount"));
    EXPECT_TRUE(body.at("traceId").is_string());

    const auto next = create(R"({"type":"PolicyBackup"})");
    // Nothing was stored in between: the ids and usns follow on directly.
    EXPECT_EQ(std::stoll(str(next, "id")), std::stoll(str(before, "id")) + 1);
    EXPECT_EQ(next.at("usn").as_int64(), before.at("usn").as_int64() + 1);
}

TEST_F(SessionWrite, MalformedBodiesAreBadRequests)
{
    for (const std::string body : {"", "{", "[]", "\"x\"", R"({"type":"PolicyBackup",})"}) {
        const auto res = client_->send_json("POST", "/api/v1/jobSessions", body, admin_token());
        EXPECT_EQ(res.status, 400) << body;
        EXPECT_TRUE(res.json().at("errors").as_object().contains("body")) << body;
    }
    const auto missing_type = client_->send_json("POST", "/api/v1/jobSessions", "{}", admin_token());
    EXPECT_EQ(missing_type.status, 400);
    EXPECT_TRUE(missing_type.json().at("errors").as_object().contains("type"));
}

TEST_F(SessionWrite, WrongContentTypeIsUnsupportedMediaType)
{
    const auto res = client_->request("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})",
                                      {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + admin_token()}});
    EXPECT_EQ(res.status, 415);
    EXPECT_EQ(str(res.json(), "title"), "Unsupported Media Type");
}

TEST_F(SessionWrite, StopBeforeStartIsRefused)
{
    const auto res =
        client_->send_json("POST", "/api/v1/jobSessions",
                           R"({"type":"PolicyBackup","status":"Success",)"
                           R"("executionStartTime":"2021-06-03T10:00:00Z","executionStopTime":"2021-06-03T09:00:00Z"})",
                           admin_token());
    EXPECT_EQ(res.status, 400);
    EXPECT_TRUE(res.json().at("errors").as_object().contains("executionStopTime"));
}

TEST_F(SessionWrite, PatchToAFinalStatusStopsTheSessionAndThenItNeverChanges)
{
    const auto created = create(R"({"type":"PolicySnapshot"})");
    const auto id = str(created, "id");
    const auto warn =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"RunningWithWarning"})", admin_token());
    ASSERT_EQ(warn.status, 200) << warn.body;
    EXPECT_GT(warn.json().at("usn").as_int64(), created.at("usn").as_int64());
    EXPECT_TRUE(warn.json().at("executionStopTime").is_null());

    const auto done =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id,
                           R"({"status":"Warning","retentionJobInfo":{"deletedRestorePointsCount":3}})", admin_token());
    ASSERT_EQ(done.status, 200);
    const auto body = done.json();
    EXPECT_EQ(str(body, "status"), "Warning");
    EXPECT_TRUE(body.at("executionStopTime").is_string());
    EXPECT_EQ(body.at("retentionJobInfo").at("deletedRestorePointsCount").as_int64(), 3);

    const auto again =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token());
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(str(again.json(), "title"), "Conflict");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, admin_token()).json().at("usn"), body.at("usn"));
}

TEST_F(SessionWrite, PatchOfAMissingSessionIsNotFound)
{
    EXPECT_EQ(
        client_->send_json("PATCH", "/api/v1/jobSessions/424242", R"({"status":"Success"})", admin_token()).status,
        404);
}

TEST_F(SessionWrite, RetryWithTheSameIdempotencyKeyAnswersTheFirstResult)
{
    const std::string body = R"({"type":"HealthCheck"})";
    const Headers key{{"Idempotency-Key", "create-42"}};
    const auto first = client_->send_json("POST", "/api/v1/jobSessions", body, admin_token(), key);
    ASSERT_EQ(first.status, 201);
    const auto retry = client_->send_json("POST", "/api/v1/jobSessions", body, admin_token(), key);
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(retry.body, first.body);
    EXPECT_EQ(retry.header("Location"), first.header("Location"));
    EXPECT_EQ(retry.header("Idempotent-Replayed"), "true");
    // No second session was written.
    const auto next = create(body);
    EXPECT_EQ(std::stoll(str(next, "id")), std::stoll(str(first.json(), "id")) + 1);

    const auto other =
        client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"AutoBackup"})", admin_token(), key);
    EXPECT_EQ(other.status, 422);
    const auto bad_key = client_->send_json("POST", "/api/v1/jobSessions", body, admin_token(),
                                            {{"Idempotency-Key", std::string(300, 'k')}});
    EXPECT_EQ(bad_key.status, 400);
}

TEST_F(SessionWrite, UnchangedPatchKeepsTheUsn)
{
    const auto created = create(R"({"type":"PolicyBackup"})");
    const auto res = client_->send_json("PATCH", "/api/v1/jobSessions/" + str(created, "id"), R"({"status":"Running"})",
                                        admin_token());
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.json().at("usn"), created.at("usn"));
}

} // namespace
} // namespace jobsessions::test
