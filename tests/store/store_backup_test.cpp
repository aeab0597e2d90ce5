// SPDX-License-Identifier: Apache-2.0
// Backups of the SQLite store: the copy, its check, and the scheduled backups' names and pruning.
#include "jobsessions/service/backup_service.hpp"
#include "jobsessions/store/sqlite/backup.hpp"
#include "jobsessions/util/time.hpp"

#include "store/store_contract.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sys/stat.h>

namespace jobsessions::store {
namespace {

class StoreBackup : public ::testing::Test {
protected:
    void SetUp() override
    {
        store_ = open_sqlite(dir_);
        std::filesystem::create_directory(dir_.file("backups"));
    }

    void add_sessions(int count)
    {
        NewSession session;
        session.type = domain::SessionType::PolicyBackup;
        session.status = domain::SessionStatus::Running;
        session.start_time = util::now_micros();
        session.created_by = 1;
        for (int i = 0; i < count; ++i) {
            ASSERT_TRUE(store_->create_session(session, nullptr)) << i;
        }
    }

    std::set<std::string> backup_files() const
    {
        std::set<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(dir_.file("backups"))) {
            names.insert(entry.path().filename().string());
        }
        return names;
    }

    test::TempDir dir_;
    std::unique_ptr<Store> store_;
};

TEST_F(StoreBackup, TheCopyIsOneOwnerOnlyFileThatOpensAsTheStoreWas)
{
    add_sessions(25);
    const auto file = dir_.file("backups/copy.db");
    auto summary = store_->back_up_to(file);
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->sessions, 25);
    EXPECT_EQ(summary->log_entries, 0);
    EXPECT_EQ(summary->bytes, static_cast<std::int64_t>(std::filesystem::file_size(file)));
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    // One file: no write-ahead log beside it, nothing left half-written.
    EXPECT_EQ(backup_files(), std::set<std::string>{"copy.db"});
    // Written after the copy: not in it.
    add_sessions(5);
    auto reopened = open_sqlite_store({file});
    ASSERT_TRUE(reopened) << reopened.error().message;
    auto count = (*reopened)->count_sessions({});
    ASSERT_TRUE(count) << count.error().message;
    EXPECT_EQ(*count, 25);
}

TEST_F(StoreBackup, AFileThatIsNotAWholeStoreIsRefusedWithItsReason)
{
    const auto garbage = dir_.file("garbage.db");
    std::ofstream(garbage) << std::string(8192, 'x');
    auto refused = sqlite::verify_store_file(garbage);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("is not an SQLite database"), std::string::npos) << refused.error().message;

    EXPECT_NE(sqlite::verify_store_file(dir_.file("missing.db")).error().message.find("is not a file"),
              std::string::npos);

    // A live store, its newest writes still in the write-ahead log.
    add_sessions(3);
    auto live = sqlite::verify_store_file(dir_.file("jobsessions.db"));
    ASSERT_FALSE(live);
    EXPECT_NE(live.error().message.find("write-ahead log"), std::string::npos) << live.error().message;

    // A backup cut short.
    const auto whole = dir_.file("backups/whole.db");
    ASSERT_TRUE(store_->back_up_to(whole));
    const auto cut = dir_.file("cut.db");
    std::filesystem::copy_file(whole, cut);
    std::filesystem::resize_file(cut, std::filesystem::file_size(whole) / 2);
    EXPECT_FALSE(sqlite::verify_store_file(cut));
}

TEST_F(StoreBackup, ScheduledBackupsAreNamedByTimeAndTheOldestBeyondKeepAreDeleted)
{
    add_sessions(2);
    std::ofstream(dir_.file("backups/notes.txt")) << "not a backup";
    std::ofstream(dir_.file("backups/jobsessions-manual.db")) << "not one of the schedule's";
    service::BackupService backups(*store_, dir_.file("backups"), 2);
    const util::Micros day = util::kMicrosPerDay;
    const util::Micros first = 1'796'000'000'000'000; // 2026-11-30T00:53:20Z
    std::vector<std::string> taken;
    for (int i = 0; i < 4; ++i) {
        auto backup = backups.back_up(first + i * day);
        ASSERT_TRUE(backup) << backup.error().message;
        EXPECT_EQ(backup->summary.sessions, 2);
        EXPECT_TRUE(backup->problem.empty()) << backup->problem;
        taken.push_back(std::filesystem::path(backup->file).filename().string());
        if (i >= 2) {
            ASSERT_EQ(backup->removed.size(), 1U);
            EXPECT_EQ(std::filesystem::path(backup->removed[0]).filename().string(), taken[i - 2]);
        } else {
            EXPECT_TRUE(backup->removed.empty());
        }
    }
    EXPECT_EQ(taken[0], service::BackupService::file_name(first));
    EXPECT_EQ(service::BackupService::file_name(1'796'000'000'123'456), "jobsessions-20261130T005320Z.db");
    EXPECT_LT(taken[0], taken[1]);
    EXPECT_EQ(backup_files(), (std::set<std::string>{taken[2], taken[3], "notes.txt", "jobsessions-manual.db"}));
}

TEST_F(StoreBackup, AFailedBackupDeletesNothing)
{
    service::BackupService first(*store_, dir_.file("backups"), 1);
    ASSERT_TRUE(first.back_up(util::now_micros()));
    const auto before = backup_files();
    service::BackupService nowhere(*store_, dir_.file("no-such-directory"), 1);
    auto failed = nowhere.back_up(util::now_micros() + util::kMicrosPerDay);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("no-such-directory"), std::string::npos) << failed.error().message;
    EXPECT_EQ(backup_files(), before);
}

} // namespace
} // namespace jobsessions::store
