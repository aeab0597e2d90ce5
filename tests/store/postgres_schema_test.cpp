// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL schema on a real server: migrations applied once however many servers start together, a newer
// database refused, and usns that become visible in the order they were given under concurrent writers.
#include "jobsessions/store/postgres/schema.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

class PostgresSchema : public test::PostgresDatabaseTest {};

TEST_F(PostgresSchema, ServersStartingTogetherApplyEachStepOnce)
{
    std::vector<std::thread> servers;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        servers.emplace_back([&] {
            ConnectionPool pool(conninfo_, 1);
            failures += migrate(pool) ? 0 : 1;
        });
    }
    for (auto& server : servers) {
        server.join();
    }
    EXPECT_EQ(failures.load(), 0);
    ConnectionPool pool(conninfo_, 1);
    ASSERT_TRUE(migrate(pool)); // and again: nothing to do
    auto db = pool.acquire();
    ASSERT_TRUE(db);
    auto versions = (*db)->exec("SELECT version FROM schema_migrations ORDER BY version");
    ASSERT_TRUE(versions);
    ASSERT_EQ(versions->count(), kSchemaVersion);
    EXPECT_EQ(versions->int64(kSchemaVersion - 1, 0), kSchemaVersion);
    auto usn = (*db)->exec("SELECT value FROM counters WHERE name = 'usn'");
    ASSERT_TRUE(usn);
    ASSERT_EQ(usn->count(), 1);
    EXPECT_EQ(usn->int64(0, 0), 0);
}

TEST_F(PostgresSchema, ADatabaseNewerThanTheServerIsRefused)
{
    ConnectionPool pool(conninfo_, 1);
    ASSERT_TRUE(migrate(pool));
    {
        auto db = pool.acquire();
        ASSERT_TRUE(db);
        ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations (version) VALUES ($1)", {param(kSchemaVersion + 1)}));
    }
    auto refused = migrate(pool);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("newer than this server's"), std::string::npos) << refused.error().message;
}

// Eight writers give out usns in transactions that do more after taking theirs; a reader asks again and again for
// the sessions after the last usn it saw, as the change feed does. It must see every usn, each once and in order:
// a usn that became visible after a higher one would be skipped for ever.
TEST_F(PostgresSchema, UsnsBecomeVisibleInTheOrderTheyWereGiven)
{
    ConnectionPool pool(conninfo_, 9);
    ASSERT_TRUE(migrate(pool));
    constexpr int kWriters = 8;
    constexpr int kPerWriter = 150;
    std::atomic<int> writing{kWriters};
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < kPerWriter; ++i) {
                auto written = pool.transaction([&](Connection& db) -> Result<bool> {
                    auto usn = next_usn(db);
                    if (!usn) {
                        return usn.error();
                    }
                    auto session = db.exec("INSERT INTO sessions (type, status, start_time, usn, created_by) "
                                           "VALUES ('PolicyBackup', 'Running', $1, $2, $3) RETURNING id",
                                           {param(std::int64_t{i}), param(*usn), param(w)});
                    if (!session) {
                        return session.error();
                    }
                    // More work after the usn was taken, so that transactions overlap.
                    for (int line = 1; line <= 3; ++line) {
                        if (auto r = db.exec("INSERT INTO log_entries VALUES ($1, $2, 0, 'Success', 'x', 0, 0)",
                                             {param(session->int64(0, 0)), param(line)});
                            !r) {
                            return r.error();
                        }
                    }
                    return true;
                });
                failures += written ? 0 : 1;
            }
            --writing;
        });
    }
    std::int64_t last = 0;
    std::int64_t seen = 0;
    bool in_order = true;
    auto reader = pool.acquire();
    ASSERT_TRUE(reader);
    for (;;) {
        const bool done = writing.load() == 0; // read once more after the last writer ended
        auto changed = (*reader)->exec("SELECT usn FROM sessions WHERE usn > $1 ORDER BY usn LIMIT 500", {param(last)});
        ASSERT_TRUE(changed) << changed.error().message;
        for (int row = 0; row < changed->count(); ++row) {
            const auto usn = changed->int64(row, 0);
            in_order = in_order && usn == last + 1; // none skipped, none twice
            last = usn;
            ++seen;
        }
        if (done && changed->count() == 0) {
            break;
        }
    }
    for (auto& writer : writers) {
        writer.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_TRUE(in_order) << "a usn became visible after a higher one";
    EXPECT_EQ(seen, kWriters * kPerWriter);
    EXPECT_EQ(last, kWriters * kPerWriter);
}

} // namespace
} // namespace jobsessions::store::postgres
