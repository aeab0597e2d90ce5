// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jobsessions::api::dto {
namespace {

domain::JobSession seed()
{
    domain::JobSession s;
    s.id = 39;
    s.type = domain::SessionType::BackupRetention;
    s.status = domain::SessionStatus::Success;
    s.start_time = *util::parse_timestamp("2020-02-05T11:07:10.002679Z");
    s.stop_time = *util::parse_timestamp("2020-02-05T11:09:57.775353Z");
    s.usn = 275;
    return s;
}

TEST(SessionJson, SeedSessionIsByteExact)
{
    std::string out;
    append_session(out, seed(), BaseUrl{"https://", "abc.example.com"}, 0);
    EXPECT_EQ(out, test::read_file(JOBSESSIONS_GOLDEN_DIR "/session_39.json"));
}

TEST(SessionJson, ConfiguredPublicUrlIsTheWholeBase)
{
    std::string out;
    append_session(out, seed(), BaseUrl{"", "https://abc.example.com"}, 0);
    EXPECT_EQ(out, test::read_file(JOBSESSIONS_GOLDEN_DIR "/session_39.json"));
}

// A list renders a session's links with SessionLinks: what GET renders, and recognised again only under the base
// URL (and for the session) they were made for.
TEST(SessionJson, ListLinksAreTheSessionsOwnAndKnowTheirBase)
{
    const BaseUrl base{"https://", "abc.example.com"};
    std::string members;
    append_session_members(members, seed(), 0);
    std::string whole = members;
    const SessionLinks links(base);
    links.append(whole, 39);
    std::string get;
    append_session(get, seed(), base, 0);
    EXPECT_EQ(whole, get);
    const std::string_view rendered = std::string_view(whole).substr(members.size());
    EXPECT_TRUE(links.rendered(rendered, 39));
    EXPECT_FALSE(SessionLinks(BaseUrl{"https://", "abd.example.com"}).rendered(rendered, 39)); // same length
    EXPECT_FALSE(SessionLinks(BaseUrl{"http://", "abc.example.com"}).rendered(rendered, 39));
    EXPECT_FALSE(SessionLinks(BaseUrl{"https://", "abc.example.co"}).rendered(rendered, 39));
    EXPECT_FALSE(links.rendered("", 39));
    std::string other;
    links.append(other, 4000);
    EXPECT_TRUE(links.rendered(other, 4000));
    EXPECT_FALSE(links.rendered(other, 40));
}

TEST(SessionJson, RunningSessionHasNullStopAndElapsedDuration)
{
    auto s = seed();
    s.status = domain::SessionStatus::Running;
    s.stop_time.reset();
    std::string out;
    append_session(out, s, BaseUrl{"http://", "h"}, s.start_time + 90 * util::kMicrosPerSecond);
    EXPECT_NE(out.find(R"("executionStopTime":null,"executionDuration":"00:01:30.0000000","status":"Running")"),
              std::string::npos)
        << out;
}

TEST(SessionJson, InfoObjectsFollowUsnInContractOrderAndEscapeText)
{
    auto s = seed();
    s.backup_info = domain::BackupJobInfo{"p-1", "Nightly \"VMs\"\n", 3, false};
    s.retention_info = domain::RetentionJobInfo{7};
    std::string out;
    append_session(out, s, BaseUrl{"http://", "h"}, 0);
    EXPECT_NE(out.find(R"("usn":275,"backupJobInfo":{"policyId":"p-1","policyName":"Nightly \"VMs\"\n",)"
                       R"("protectedInstancesCount":3,"policyRemoved":false},"retentionJobInfo":)"
                       R"({"deletedRestorePointsCount":7},"_links")"),
              std::string::npos)
        << out;
}

// Text longer than the formatter's kilobyte buffer, plain and escaped, next to short fields, comes out whole
// and in order.
TEST(SessionJson, LongTextAroundTheFormattersBufferComesOutWhole)
{
    auto s = seed();
    const std::string long_id(1500, 'i');
    const std::string long_name = std::string(900, 'n') + "\"" + std::string(300, 'm');
    s.backup_info = domain::BackupJobInfo{long_id, long_name, 3, true};
    s.restore_info = domain::RestoreJobInfo{std::string(1020, 'r'), "Daily"};
    std::string out = "[";
    append_session(out, s, BaseUrl{"http://", std::string(2000, 'h')}, 0);
    EXPECT_NE(out.find(R"({"policyId":")" + long_id + R"(","policyName":")" + std::string(900, 'n') + "\\\"" +
                       std::string(300, 'm') +
                       R"(","protectedInstancesCount":3,"policyRemoved":true},)"
                       R"("restoreJobInfo":{"reason":")" +
                       std::string(1020, 'r') +
                       R"(","backupPolicyDisplayName":"Daily"},"_links":{"self":{"href":"http://)" +
                       std::string(2000, 'h') + "/api/v1/jobSessions/39\"},"),
              std::string::npos)
        << out;
    EXPECT_TRUE(out.ends_with(std::string(2000, 'h') + R"(/api/v1/jobSessions/39/log"}}})")) << out;
    EXPECT_TRUE(out.starts_with(R"([{"id":"39","type":"BackupRetention",)")) << out;
}

TEST(SessionJson, LogHasTheV1Shape)
{
    domain::LogEntry e;
    e.session_id = 38;
    e.sequence = 1;
    e.log_time = *util::parse_timestamp("2020-02-05T11:09:57.775353Z");
    e.status = domain::SessionStatus::Success;
    e.message = "Backup plan creation has finished";
    e.execution_start_time = *util::parse_timestamp("2020-02-05T11:07:23.925669Z");
    e.execution_duration = *util::parse_timespan("00:02:33.8496840");
    std::string out;
    append_log(out, 38, {e});
    EXPECT_EQ(out,
              R"({"jobSessionId":"38","log":[{"logTime":"2020-02-05T11:09:57.775353Z","status":"Success",)"
              R"("message":"Backup plan creation has finished","executionStartTime":"2020-02-05T11:07:23.925669Z",)"
              R"("executionDuration":"00:02:33.8496840"}]})");
}

} // namespace
} // namespace jobsessions::api::dto
