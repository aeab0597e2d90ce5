// SPDX-License-Identifier: Apache-2.0
// jobsessiond backup and restore, and the scheduled backup, through the real binary.
#include "e2e/e2e_fixture.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace jobsessions::test {
namespace {

using Backup = ServerTest;

/// Creates sessions one after another on a connection of its own until stopped, keeping the ids acknowledged.
class Writer {
public:
    Writer(const ServerProcess& server, std::string token)
        : thread_([this, &server, token = std::move(token)] {
            HttpClient client(server);
            while (!stop_) {
                const auto res = client.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token);
                if (res.status != 201) {
                    failures_.fetch_add(1);
                    continue;
                }
                std::lock_guard lock(mutex_);
                acknowledged_.push_back(str(res.json(), "id"));
            }
        })
    {
    }
    ~Writer() { stop(); }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void stop()
    {
        stop_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::vector<std::string> acknowledged()
    {
        std::lock_guard lock(mutex_);
        return acknowledged_;
    }
    [[nodiscard]] int failures() const { return failures_.load(); }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> failures_{0};
    std::mutex mutex_;
    std::vector<std::string> acknowledged_;
    std::thread thread_;
};

TEST_F(Backup, ABackupUnderWritesRestoresEveryWriteAcknowledgedBeforeIt)
{
    const auto token = admin_token();
    Writer writer(*server_, token);
    while (writer.acknowledged().size() < 200) {
        wait_for_change();
    }
    const auto before = writer.acknowledged();
    const auto file = dir_.file("backup.db");
    const auto backup = run_jobsessiond({"backup", "--data-dir", data_dir(), "--to", file});
    // Writes went on during the backup, and after it.
    const auto during = writer.acknowledged().size();
    wait_for_change();
    writer.stop();
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
    EXPECT_EQ(writer.failures(), 0);
    EXPECT_NE(backup.out.find(" to " + file + ", verified\n"), std::string::npos) << backup.out;
    EXPECT_GT(writer.acknowledged().size(), during);

    server_->terminate();
    const auto restored_dir = dir_.file("restored");
    const auto restore = run_jobsessiond({"restore", "--from", file, "--data-dir", restored_dir});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    EXPECT_EQ(restore.out.rfind("restored ", 0), 0U) << restore.out;

    ServerProcess restored(ServerOptions{restored_dir, false, {}, {}});
    HttpClient client(restored);
    // The token made before still works: the signing key and the users are in the backup too.
    for (const auto& id : before) {
        ASSERT_EQ(client.get("/api/v1/jobSessions/" + id, token).status, 200) << "session " << id << " is lost";
    }
    const auto all = client.get("/api/v1/jobSessions?limit=1", token).json();
    EXPECT_GE(all.at("totalCount").as_int64(), static_cast<std::int64_t>(before.size()));
    EXPECT_LE(all.at("totalCount").as_int64(), static_cast<std::int64_t>(writer.acknowledged().size()));
}

TEST_F(Backup, RestoreIsRefusedWhileAServerHoldsTheDirectoryAndKeepsTheStoreItReplaces)
{
    const auto kept = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto file = dir_.file("backup.db");
    ASSERT_EQ(run_jobsessiond({"backup", "--data-dir", data_dir(), "--to", file}).exit_code, 0);
    const auto after_backup = str(create(R"({"type":"PolicySnapshot"})"), "id");

    const auto refused = run_jobsessiond({"restore", "--from", file, "--data-dir", data_dir()});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.err, "jobsessiond: a jobsessiond is running with the data directory " + data_dir() +
                               "; stop it before restoring (nothing was restored)\n");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + after_backup, admin_token()).status, 200);
    for (const auto& entry : std::filesystem::directory_iterator(data_dir())) {
        EXPECT_EQ(entry.path().filename().string().find("replaced"), std::string::npos) << entry.path();
    }

    server_->terminate();
    const auto restore = run_jobsessiond({"restore", "--from", file, "--data-dir", data_dir()});
    ASSERT_EQ(restore.exit_code, 0) << restore.err;
    const auto said = restore.out.find("the store it replaced is " + data_dir() + "/jobsessions.db.replaced-");
    ASSERT_NE(said, std::string::npos) << restore.out;
    start();
    admin_token_.clear();
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + kept, admin_token()).status, 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + after_backup, admin_token()).status, 404);
}

TEST_F(Backup, WhatIsNotABackupIsNeverRestoredAndBadCommandsSayWhy)
{
    const auto garbage = dir_.file("garbage.db");
    std::ofstream(garbage) << "not a database";
    const auto target = dir_.file("target");
    const auto refused = run_jobsessiond({"restore", "--from", garbage, "--data-dir", target});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.err.rfind("jobsessiond: nothing was restored: " + garbage + " is not an SQLite database", 0), 0U)
        << refused.err;
    EXPECT_FALSE(std::filesystem::exists(target));

    const auto live = run_jobsessiond({"restore", "--from", data_dir() + "/jobsessions.db", "--data-dir", target});
    EXPECT_EQ(live.exit_code, 1);
    EXPECT_NE(live.err.find("write-ahead log"), std::string::npos) << live.err;

    EXPECT_EQ(run_jobsessiond({"backup", "--data-dir", data_dir()}).err,
              "jobsessiond: backup needs --to FILE, the file the backup is written to\n");
    EXPECT_EQ(run_jobsessiond({"backup", "--data-dir", dir_.file("nothing-here"), "--to", garbage}).err,
              "jobsessiond: there is no store to back up in " + dir_.file("nothing-here") + " (no " +
                  dir_.file("nothing-here") + "/jobsessions.db)\n");
    const auto into_directory = run_jobsessiond({"backup", "--data-dir", data_dir(), "--to", dir_.path()});
    EXPECT_EQ(into_directory.exit_code, 2);
    EXPECT_NE(into_directory.err.find("--to names a directory"), std::string::npos) << into_directory.err;
    const auto unwritable = run_jobsessiond({"backup", "--data-dir", data_dir(), "--to", "/proc/backup.db"});
    EXPECT_EQ(unwritable.exit_code, 1);
    EXPECT_EQ(unwritable.err.rfind("jobsessiond: the backup failed: cannot create /proc/backup.db.partial", 0), 0U)
        << unwritable.err;
    EXPECT_EQ(run_jobsessiond({"serve", "--backup-schedule", "0 2 * * *"}).err,
              "jobsessiond: --backup-schedule needs --backup-dir, the directory the backups go to\n");
}

TEST_F(Backup, TheScheduledBackupIsAnAutoBackupSessionWhoseFileRestores)
{
    const auto backups = dir_.file("backups");
    start(false, {"--backup-schedule", "* * * * *", "--backup-dir", backups, "--backup-keep", "3"});
    const auto kept = str(create(R"({"type":"PolicyBackup"})"), "id");
    // The next minute's run: found through the change feed, no sleeping.
    boost::json::value session;
    for (int round = 0; round < 100; ++round) {
        const auto page =
            client_->get("/api/v1/jobSessions?Types=AutoBackup&Status=Success,Warning,Error", admin_token()).json();
        if (!page.at("results").as_array().empty()) {
            session = page.at("results").as_array()[0];
            break;
        }
        wait_for_change();
    }
    ASSERT_TRUE(session.is_object()) << "no backup ran";
    EXPECT_EQ(str(session, "status"), "Success");
    EXPECT_EQ(str(session, "localizedType"), "Auto Backup");
    const auto log = client_->get("/api/v1/jobSessions/" + str(session, "id") + "/log", admin_token()).json();
    const std::string message(log.at("log").as_array()[0].at("message").as_string());
    EXPECT_EQ(message.rfind("Backed up 1 session(s) and 0 log entries to " + backups + "/jobsessions-", 0), 0U)
        << message;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(backups)) {
        files.push_back(entry.path().string());
    }
    ASSERT_EQ(files.size(), 1U);
    EXPECT_NE(message.find(files[0] + " ("), std::string::npos);

    const auto restored_dir = dir_.file("restored");
    ASSERT_EQ(run_jobsessiond({"restore", "--from", files[0], "--data-dir", restored_dir}).exit_code, 0);
    ServerProcess restored(ServerOptions{restored_dir, false, {}, {}});
    HttpClient client(restored);
    EXPECT_EQ(client.get("/api/v1/jobSessions/" + kept, admin_token()).status, 200);
}

} // namespace
} // namespace jobsessions::test
