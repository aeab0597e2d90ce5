// SPDX-License-Identifier: Apache-2.0
// A real v1 client, run as it is written: bash, curl, jq, awk and date against the real server.
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

using RealClient = ServerTest;

TEST_F(RealClient, MonitoringScriptComputesDurationsAndStopTimes)
{
    add_user(data_dir(), "monitor", "Viewer", "monitor-password");
    create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2020-02-05T11:07:10.002679Z",)"
           R"("executionStopTime":"2020-02-05T11:09:57.775353Z",)"
           R"("backupJobInfo":{"policyId":"4a1e","policyName":"Nightly VMs","protectedInstancesCount":3}})");
    create(R"({"type":"PolicyBackup","status":"Warning","executionStartTime":"2021-06-03T22:00:00Z",)"
           R"("executionStopTime":"2021-06-03T23:30:15.5Z","backupJobInfo":{"policyId":"77b0","policyName":"SQL"}})");
    create(R"({"type":"BackupRetention","status":"Success"})"); // not a PolicyBackup: not listed

    const auto result = run_program({"/bin/bash", JOBSESSIONS_E2E_SCRIPTS_DIR "/v1_session_report.sh", server_->url(),
                                     "monitor", "monitor-password"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // 00:02:47.7726740 → 167.773 s by awk; 01:30:15.5000000 → 5415.5 s; stop times as epoch seconds.
    EXPECT_EQ(result.out, "2|Warning|PolicyBackup|77b0|SQL|5415.5|1622763015\n"
                          "1|Success|PolicyBackup|4a1e|Nightly VMs|167.773|1580900997\n");
}

} // namespace
} // namespace jobsessions::test
