// SPDX-License-Identifier: Apache-2.0
// The SQLite store's read rounds: the reads of a round share one read transaction, and ending the round lets it go,
// so that nothing keeps the write-ahead log from being checkpointed and reset while the server is idle.
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/sqlite/sqlite_store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jobsessions::store {
namespace {

using domain::SessionStatus;
using domain::SessionType;

/// Runs a TRUNCATE checkpoint from a connection of its own; true when some reader kept it from resetting the log
/// ("busy"). It waits up to two seconds: for a checkpoint of the store's own in progress, and for readers.
bool truncate_checkpoint_is_blocked(const std::string& path)
{
    auto db = sqlite::Connection::open(path, false);
    if (!db) {
        throw std::runtime_error(db.error().message);
    }
    if (auto waits = (*db)->exec("PRAGMA busy_timeout = 2000"); !waits) {
        throw std::runtime_error(waits.error().message);
    }
    auto stmt = (*db)->prepare_owned("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!stmt) {
        throw std::runtime_error(stmt.error().message);
    }
    auto row = stmt->step();
    if (!row || !*row) {
        throw std::runtime_error("the checkpoint returned no row");
    }
    return stmt->column_int64(0) != 0;
}

TEST(SqliteReadRound, EndingTheRoundReleasesItsReadTransaction)
{
    test::TempDir dir;
    const auto path = dir.file("jobsessions.db");
    auto opened = sqlite::SqliteStore::open(path);
    ASSERT_TRUE(opened);
    auto& store = **opened;
    NewSession session;
    session.type = SessionType::PolicyBackup;
    session.status = SessionStatus::Running;
    session.start_time = 1'580'900'830'000'000;
    auto created = store.create_session(session, nullptr);
    ASSERT_TRUE(created);

    // Outside a round every read ends its own transaction.
    ASSERT_TRUE(store.get_session(created->id));
    EXPECT_FALSE(truncate_checkpoint_is_blocked(path));

    ASSERT_TRUE(store.create_session(session, nullptr)); // something in the log again
    store.begin_read_round();
    ASSERT_TRUE(store.get_session(created->id));
    EXPECT_TRUE(truncate_checkpoint_is_blocked(path)) << "the round's reads share one transaction";
    store.end_read_round();
    EXPECT_FALSE(truncate_checkpoint_is_blocked(path)) << "the round let its transaction go";
}

} // namespace
} // namespace jobsessions::store
