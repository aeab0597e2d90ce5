// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

class SessionsExport : public ServerTest {
protected:
    HttpResponse export_sessions(const std::string& query, const Headers& headers, const std::string& body = "")
    {
        Headers all = headers;
        all.emplace_back("Authorization", "Bearer " + admin_token());
        return client_->request("POST", "/api/v1/jobSessions/export" + query, body, all);
    }
};

TEST_F(SessionsExport, CsvIsRfc4180WithHeaderQuotingAndCrlf)
{
    create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2020-02-05T11:07:10.002679Z",)"
           R"("executionStopTime":"2020-02-05T11:09:57.775353Z","backupJobInfo":{"policyId":"p1",)"
           R"("policyName":"Daily, \"critical\"\nVMs","protectedInstancesCount":4}})");
    create(R"({"type":"BackupRetention","status":"Success","executionStartTime":"2020-02-06T00:00:00Z",)"
           R"("executionStopTime":"2020-02-06T00:00:01Z","retentionJobInfo":{"deletedRestorePointsCount":2}})");
    const auto res = export_sessions("", {});
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Type"), "text/csv; charset=utf-8");
    EXPECT_EQ(res.header("Content-Disposition"), "attachment; filename=\"jobSessions.csv\"");
    EXPECT_EQ(res.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(res.body,
              "id,type,localizedType,executionStartTime,executionStopTime,executionDuration,status,usn,policyId,"
              "policyName,protectedInstancesCount,policyRemoved,reason,backupPolicyDisplayName,repositoryId,"
              "repositoryName,repositoryRemoved,deletedRestorePointsCount\r\n"
              "2,BackupRetention,Backup Retention,2020-02-06T00:00:00.000000Z,2020-02-06T00:00:01.000000Z,"
              "00:00:01.0000000,Success,2,,,,,,,,,,2\r\n"
              "1,PolicyBackup,Policy Backup,2020-02-05T11:07:10.002679Z,2020-02-05T11:09:57.775353Z,"
              "00:02:47.7726740,Success,1,p1,\"Daily, \"\"critical\"\"\nVMs\",4,false,,,,,,\r\n");
}

TEST_F(SessionsExport, JsonByAcceptWithFiltersFromTheQueryOrABody)
{
    create(R"({"type":"PolicyBackup"})");
    create(R"({"type":"HealthCheck"})");
    create(R"({"type":"PolicySnapshot","status":"Error"})");
    const auto by_query = export_sessions("?Types=HealthCheck,PolicySnapshot", {{"Accept", "application/json"}});
    ASSERT_EQ(by_query.status, 200);
    EXPECT_EQ(by_query.header("Content-Disposition"), "attachment; filename=\"jobSessions.json\"");
    const auto list = by_query.json().as_array();
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(str(list[0], "type"), "PolicySnapshot");

    const auto by_body = export_sessions("", {{"Accept", "application/json"}, {"Content-Type", "application/json"}},
                                         R"({"types":["PolicyBackup","PolicySnapshot"],"status":"Error"})");
    ASSERT_EQ(by_body.status, 200);
    ASSERT_EQ(by_body.json().as_array().size(), 1U);
    EXPECT_EQ(str(by_body.json().as_array()[0], "id"), "3");
}

TEST_F(SessionsExport, EmptyResultIsAHeaderOrAnEmptyArray)
{
    EXPECT_EQ(export_sessions("", {}).body.find("\r\n"), export_sessions("", {}).body.size() - 2);
    EXPECT_EQ(export_sessions("", {{"Accept", "application/json"}}).body, "[]");
}

TEST_F(SessionsExport, BadInputIsRefused)
{
    EXPECT_EQ(export_sessions("?Types=Nope", {}).status, 400);
    EXPECT_EQ(export_sessions("", {{"Accept", "application/xml"}}).status, 406);
    EXPECT_EQ(export_sessions("", {{"Content-Type", "text/plain"}}, "types=x").status, 415);
    const auto bad_body =
        export_sessions("", {{"Content-Type", "application/json"}}, R"({"types":["Nope"],"fromUtc":"x"})");
    ASSERT_EQ(bad_body.status, 400);
    EXPECT_TRUE(bad_body.json().at("errors").as_object().contains("types"));
    EXPECT_TRUE(bad_body.json().at("errors").as_object().contains("fromUtc"));
}

} // namespace
} // namespace jobsessions::test
