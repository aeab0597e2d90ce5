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

TEST_F(SessionsExport, CellsASpreadsheetWouldRunAsFormulasAreExportedAsText)
{
    create(R"x({"type":"PolicyBackup","backupJobInfo":{"policyId":"@SUM(A1)","policyName":"=cmd|' /C calc'!A0"}})x");
    create(R"({"type":"RestoreVms","restoreJobInfo":{"reason":"+1+2","backupPolicyDisplayName":"-2+3"}})");
    create(R"({"type":"PolicyBackup","backupJobInfo":{"policyId":"p","policyName":"a=b, not a formula"}})");
    const auto csv = export_sessions("", {}).body;
    EXPECT_NE(csv.find(",'@SUM(A1),'=cmd|' /C calc'!A0,"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",'+1+2,'-2+3,"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",p,\"a=b, not a formula\","), std::string::npos) << csv;
    // JSON carries the values as they are.
    EXPECT_NE(export_sessions("", {{"Accept", "application/json"}}).body.find(R"("policyName":"=cmd|' /C calc'!A0")"),
              std::string::npos);
}

TEST_F(SessionsExport, FiltersFromTheQueryAndTheBodyCombineAndTheSameOneTwiceIsRefused)
{
    create(R"({"type":"PolicyBackup","status":"Success"})");
    create(R"({"type":"PolicyBackup","status":"Error"})");
    create(R"({"type":"HealthCheck","status":"Error"})");
    const Headers json{{"Accept", "application/json"}, {"Content-Type", "application/json"}};
    const auto both = export_sessions("?Types=PolicyBackup", json, R"({"status":"Error"})");
    ASSERT_EQ(both.status, 200) << both.body;
    ASSERT_EQ(both.json().as_array().size(), 1U);
    EXPECT_EQ(str(both.json().as_array()[0], "id"), "2");
    const auto twice = export_sessions("?Types=PolicyBackup", json, R"({"types":"HealthCheck"})");
    ASSERT_EQ(twice.status, 400);
    EXPECT_EQ(twice.json().at("errors").at("types").as_array()[0].as_string(),
              "Given both in the query and in the body; give it once.");
}

TEST_F(SessionsExport, AcceptIsReadWithItsQValues)
{
    create(R"({"type":"PolicyBackup"})");
    const auto type_of = [&](const std::string& accept) {
        const auto res = export_sessions("", {{"Accept", accept}});
        return res.status == 200 ? res.header("Content-Type") : std::to_string(res.status);
    };
    EXPECT_EQ(type_of("application/json;q=0.1, text/csv;q=0.9"), "text/csv; charset=utf-8");
    EXPECT_EQ(type_of("text/csv;q=0.5, application/json"), "application/json; charset=utf-8");
    EXPECT_EQ(type_of("text/csv;q=0, */*;q=0.1"), "application/json; charset=utf-8");
    EXPECT_EQ(type_of("application/*"), "application/json; charset=utf-8");
    EXPECT_EQ(type_of("text/csv, application/json"), "text/csv; charset=utf-8"); // alike: CSV
    EXPECT_EQ(type_of("text/csv;q=0"), "406");
    EXPECT_EQ(type_of("application/json;q=0, text/html"), "406");
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
