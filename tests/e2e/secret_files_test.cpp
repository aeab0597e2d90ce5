// SPDX-License-Identifier: Apache-2.0
// What another local user can read of the server: its data directory, database and TLS key.
#include "e2e/e2e_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sys/stat.h>

namespace jobsessions::test {
namespace {

mode_t mode_of(const std::string& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        ADD_FAILURE() << path << " is missing";
        return 0;
    }
    return st.st_mode & 07777;
}

bool exists(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

/// Sets the process umask while alive: the servers this test starts inherit it.
class Umask {
public:
    explicit Umask(mode_t mask)
        : previous_(::umask(mask))
    {
    }
    ~Umask() { ::umask(previous_); }
    Umask(const Umask&) = delete;
    Umask& operator=(const Umask&) = delete;

private:
    mode_t previous_;
};

ProcessResult start_on(const std::string& data, std::vector<std::string> more = {})
{
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data};
    args.insert(args.end(), more.begin(), more.end());
    return run_jobsessiond(args, "", {{"JOBSESSIOND_ADMIN_PASSWORD", kAdminPassword}});
}

std::size_t lines(const std::string& text)
{
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(SecretFiles, EverySecretFileIsTheOwnersAloneWhateverTheUmask)
{
    TempDir dir;
    const auto data = dir.file("data");
    {
        const Umask open_umask(0);
        // A directory made beforehand, as a package or `install -d -m 700` does.
        ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
        ServerProcess server(ServerOptions{data, true, {}, {}});
        HttpClient client(server);
        EXPECT_FALSE(login(client, "admin", kAdminPassword).empty()); // writes: the log and its index exist
        EXPECT_EQ(mode_of(data), 0700U);
        for (const char* file :
             {"/jobsessions.db", "/jobsessions.db-wal", "/jobsessions.db-shm", "/tls/key.pem", "/jobsessiond.lock"}) {
            EXPECT_EQ(mode_of(data + file), 0600U) << file;
        }
        EXPECT_EQ(mode_of(data + "/tls"), 0700U);
        EXPECT_EQ(server.terminate(), 0);
    }
    // A user command made under the same umask leaves the files as they were.
    const Umask open_umask(0);
    add_user(data, "agent", "Agent", "agent-password");
    EXPECT_EQ(mode_of(data + "/jobsessions.db"), 0600U);
}

TEST(SecretFiles, ADataDirectoryOthersCanReadIsRefusedUnlessAllowed)
{
    TempDir dir;
    const auto data = dir.file("data");
    ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(data.c_str(), 0755), 0); // as `mkdir` under the usual umask makes it
    const auto refused = start_on(data, {"--http"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.err, "jobsessiond: the data directory " + data +
                               " can be read by other users (mode 0755); run 'chmod 700 " + data +
                               "', or start with --allow-unsafe-permissions\n");
    EXPECT_FALSE(exists(data + "/jobsessions.db")); // nothing was made, no password shown
    EXPECT_EQ(refused.out, "");

    ASSERT_EQ(::chmod(data.c_str(), 0770), 0);
    const auto writable = start_on(data, {"--http"});
    EXPECT_EQ(writable.exit_code, 1);
    EXPECT_NE(writable.err.find("can be written by other users (mode 0770)"), std::string::npos) << writable.err;

    // Told explicitly, the server starts and says what it allowed.
    ServerProcess server(ServerOptions{data, false, {"--allow-unsafe-permissions"}, {}});
    EXPECT_NE(server.stderr_text().find("can be written by other users (mode 0770)"), std::string::npos);
    EXPECT_NE(server.stderr_text().find("going on: --allow-unsafe-permissions"), std::string::npos);
    EXPECT_EQ(mode_of(data + "/jobsessions.db"), 0600U);
}

TEST(SecretFiles, ADatabaseOthersCouldReadIsRefused)
{
    TempDir dir;
    const auto data = dir.file("data");
    {
        ServerProcess server(ServerOptions{data, false, {}, {}});
        EXPECT_EQ(server.terminate(), 0);
    }
    // As an older server left it.
    ASSERT_EQ(::chmod((data + "/jobsessions.db").c_str(), 0644), 0);
    const auto refused = start_on(data, {"--http"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(lines(refused.err), 1U) << refused.err;
    EXPECT_NE(refused.err.find("the database file " + data + "/jobsessions.db can be read by other users (mode 0644)"),
              std::string::npos)
        << refused.err;
    // So do the user commands, which read the same secrets.
    const auto listed = run_jobsessiond({"user", "list", "--data-dir", data});
    EXPECT_EQ(listed.exit_code, 1);
    EXPECT_NE(listed.err.find("can be read by other users"), std::string::npos) << listed.err;
}

TEST(SecretFiles, ATlsKeyOthersCanReadIsRefused)
{
    TempDir dir;
    const auto data = dir.file("data");
    {
        ServerProcess server(ServerOptions{data, true, {}, {}});
        EXPECT_EQ(server.terminate(), 0);
    }
    const auto key = data + "/tls/key.pem";
    ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
    const auto generated = start_on(data);
    EXPECT_EQ(generated.exit_code, 1);
    EXPECT_NE(generated.err.find("the TLS key " + key + " can be read by other users (mode 0644)"), std::string::npos)
        << generated.err;

    // A key given with --tls-key is held to the same rule.
    const auto given = start_on(dir.file("other"), {"--tls-cert", data + "/tls/cert.pem", "--tls-key", key});
    EXPECT_EQ(given.exit_code, 1);
    EXPECT_NE(given.err.find("the TLS key " + key + " can be read by other users"), std::string::npos) << given.err;
    EXPECT_FALSE(exists(dir.file("other") + "/jobsessions.db"));
}

TEST(SecretFiles, ADataDirectoryOfAnotherUserIsRefused)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "only root can give a directory to another user";
    }
    TempDir dir;
    const auto data = dir.file("data");
    ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
    ASSERT_EQ(::chown(data.c_str(), 65534, 65534), 0);
    const auto refused = start_on(data, {"--http"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.err, "jobsessiond: the data directory " + data +
                               " belongs to uid 65534, not to uid 0 that runs the server; run the server as its "
                               "owner, or start with --allow-unsafe-permissions\n");
}

TEST(SecretFiles, AStartThatFailsLeavesNoStoreAndShowsNoPassword)
{
    TempDir dir;
    ServerProcess first(ServerOptions{dir.file("a"), false, {}, {}});
    const auto second =
        run_jobsessiond({"--listen", "127.0.0.1:" + std::to_string(first.port()), "--data-dir", dir.file("b")});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_EQ(second.err,
              "jobsessiond: cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use\n");
    EXPECT_FALSE(exists(dir.file("b")));
}

} // namespace
} // namespace jobsessions::test
