// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <sys/stat.h>

namespace jobsessions::test {
namespace {

TEST(UserCommand, AddListDisableEnableRemove)
{
    TempDir dir;
    const auto data = dir.file("data");
    auto run = [&](std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.begin(), "user");
        args.insert(args.end(), {"--data-dir", data});
        return run_jobsessiond(args, input);
    };
    // A mistyped directory is an error, not a new store.
    const auto missing_dir = run({"add", "ops", "--role", "operator"}, "ops-password\n");
    EXPECT_EQ(missing_dir.exit_code, 1);
    EXPECT_EQ(missing_dir.err, "jobsessiond: there is no data directory " + data +
                                   " (start the server once to make it, or give --data-dir)\n");
    struct stat st {};
    EXPECT_NE(::stat(data.c_str(), &st), 0);
    ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
    EXPECT_EQ(run({"add", "ops", "--role", "operator"}, "ops-password\n").exit_code, 0);
    EXPECT_EQ(run({"add", "viewer"}, "viewer-password\n").out, "added viewer (Viewer)\n");
    EXPECT_EQ(run({"list"}).out, "ops\tOperator\tenabled\nviewer\tViewer\tenabled\n");

    const auto duplicate = run({"add", "OPS"}, "another-password\n");
    EXPECT_EQ(duplicate.exit_code, 1);
    EXPECT_EQ(duplicate.err, "jobsessiond: the user OPS already exists\n");
    const auto bad_role = run({"add", "x", "--role", "Root"}, "some-password\n");
    EXPECT_EQ(bad_role.exit_code, 1);
    EXPECT_NE(bad_role.err.find("unknown role 'Root'"), std::string::npos);
    const auto weak = run({"add", "weak"}, "short\n");
    EXPECT_EQ(weak.exit_code, 1);
    EXPECT_NE(weak.err.find("at least 8 characters"), std::string::npos);
    EXPECT_EQ(run({"add", "nopass"}, "").exit_code, 1);

    EXPECT_EQ(run({"disable", "ops"}).exit_code, 0);
    EXPECT_EQ(run({"list"}).out, "ops\tOperator\tdisabled\nviewer\tViewer\tenabled\n");
    EXPECT_EQ(run({"enable", "ops"}).exit_code, 0);
    EXPECT_EQ(run({"remove", "viewer"}).exit_code, 0);
    EXPECT_EQ(run({"list"}).out, "ops\tOperator\tenabled\n");
    const auto missing = run({"remove", "viewer"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "jobsessiond: no user viewer\n");
    EXPECT_EQ(run({"frobnicate", "ops"}).exit_code, 1);
    EXPECT_EQ(run({}).exit_code, 1);
}

TEST(UserCommand, PasswordChangeTakesEffectOnTheRunningServer)
{
    TempDir dir;
    const auto data = dir.file("data");
    ServerProcess server(ServerOptions{data, false, {}, {}});
    HttpClient client(server);
    const auto before = client.post_form("/api/oauth2/token", std::string("username=admin&password=") + kAdminPassword);
    ASSERT_EQ(before.status, 200);
    const auto changed = run_jobsessiond({"user", "passwd", "admin", "--data-dir", data}, "a-new-password\n");
    ASSERT_EQ(changed.exit_code, 0) << changed.err;
    // The logins made with the old password end: their refresh tokens no longer work.
    EXPECT_EQ(client
                  .post_form("/api/oauth2/token",
                             "grant_type=refresh_token&refresh_token=" + str(before.json(), "refresh_token"))
                  .status,
              401);
    EXPECT_EQ(client.post_form("/api/oauth2/token", std::string("username=admin&password=") + kAdminPassword).status,
              401);
    EXPECT_FALSE(login(client, "admin", "a-new-password").empty());
    // The password never shows up in the server's output.
    EXPECT_EQ(server.stderr_text().find("a-new-password"), std::string::npos);
    EXPECT_EQ(server.stderr_text().find(kAdminPassword), std::string::npos);
}

} // namespace
} // namespace jobsessions::test
