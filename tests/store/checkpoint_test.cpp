// SPDX-License-Identifier: Apache-2.0
// The write-ahead log is copied back into the database file by a thread of its own, not by the commit that fills
// it: the log starts over after a pause in writes instead of growing, and nothing written is lost on the way.
#include "jobsessions/store/sqlite/sqlite_store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <vector>

namespace jobsessions::store {
namespace {

using domain::SessionStatus;
using domain::SessionType;
using std::chrono::seconds;

constexpr std::uintmax_t kCheckpointBytes = sqlite::Checkpointer::kPagesBetweenCheckpoints * std::uintmax_t{4096};

void import_hundred(sqlite::SqliteStore& store, std::int64_t& next_start)
{
    std::vector<NewSession> sessions(100);
    for (auto& session : sessions) {
        session.type = SessionType::PolicyBackup;
        session.status = SessionStatus::Success;
        session.start_time = next_start;
        session.stop_time = next_start + 1'000'000;
        next_start += 60'000'000;
    }
    ASSERT_TRUE(store.import_sessions(sessions));
}

TEST(Checkpoints, TheLogStartsOverAfterAPauseAndKeepsEveryWrite)
{
    test::TempDir dir;
    const auto path = dir.file("jobsessions.db");
    const auto wal = path + "-wal";
    std::int64_t next_start = 1'580'900'830'000'000;
    std::int64_t written = 0;
    {
        auto opened = sqlite::SqliteStore::open(path);
        ASSERT_TRUE(opened);
        auto& store = **opened;
        // The first burst: a hundred sessions a write until the log has grown enough to ask for a checkpoint.
        std::int64_t writes_a_burst = 0;
        while (!std::filesystem::exists(wal) || std::filesystem::file_size(wal) < kCheckpointBytes) {
            import_hundred(store, next_start);
            ++writes_a_burst;
        }
        written += 100 * writes_a_burst;
        ASSERT_TRUE(store.checkpointer().wait_until_log_copied(seconds(60)));
        const auto after_first_burst = std::filesystem::file_size(wal);
        for (int burst = 2; burst <= 4; ++burst) {
            for (std::int64_t i = 0; i < writes_a_burst; ++i) {
                import_hundred(store, next_start);
            }
            written += 100 * writes_a_burst;
            ASSERT_TRUE(store.checkpointer().wait_until_log_copied(seconds(60)));
        }
        // Each burst after a pause wrote over the log from its start: it is no longer than two bursts' worth.
        EXPECT_LT(std::filesystem::file_size(wal), after_first_burst * 2)
            << "the log grew by every burst instead of starting over";
        const auto total = store.count_sessions(SessionFilter{});
        ASSERT_TRUE(total);
        EXPECT_EQ(*total, written);
    }
    auto reopened = sqlite::SqliteStore::open(path);
    ASSERT_TRUE(reopened);
    const auto total = (*reopened)->count_sessions(SessionFilter{});
    ASSERT_TRUE(total);
    EXPECT_EQ(*total, written);
}

} // namespace
} // namespace jobsessions::store
