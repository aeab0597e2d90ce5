// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL schema on a real server: migrations applied once however many servers start together, a newer
// database refused, and usns that become visible in the order they were given under concurrent writers.
#include "jobsessions/store/postgres/schema.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

class PostgresSchema : public test::PostgresDatabaseTest {};

TEST_F(PostgresSchema, ServersStartingTogetherApplyEachStepOnce)
{
    constexpr int kServers = 4;
    std::vector<std::thread> servers;
    servers.reserve(kServers);
    std::atomic<int> failures{0};
    for (int i = 0; i < kServers; ++i) {
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
    writers.reserve(kWriters);
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

// A store of schema 8 kept its counts per time in days (spans 1 and 32 days). Step 9 counts them again per hour,
// day and 32-day period (a policy's per day and period), in minutes, and refuses rows in days from a server of an
// earlier version still running.
TEST_F(PostgresSchema, UpgradingToSchema9CountsEverySessionByHourDayAndPeriod)
{
    ConnectionPool pool(conninfo_, 1);
    ASSERT_TRUE(migrate(pool));
    {
        auto db = pool.acquire();
        ASSERT_TRUE(db);
        // 500 sessions, one every 7 hours 13 minutes from a time before 1970 (floored buckets) to past 2024, and
        // the store put back at schema 8: its counts in days, as its servers kept them.
        ASSERT_TRUE((*db)->run_script(R"sql(
INSERT INTO sessions (type, status, start_time, usn, created_by, policy_id)
    SELECT CASE WHEN i % 3 = 0 THEN 'HealthCheck' ELSE 'PolicyBackup' END, 'Success',
           -5000000000000000 + i * 26000000000 * 1000 + i * 37, i, 1, CASE WHEN i % 2 = 0 THEN 'p' END
    FROM generate_series(1, 500) AS i;
ALTER TABLE session_time_totals DROP CONSTRAINT session_time_totals_spans;
ALTER TABLE session_policy_time_totals DROP CONSTRAINT session_policy_time_totals_spans;
DELETE FROM session_time_totals;
INSERT INTO session_time_totals (span, bucket, type, status, created_by, n)
    SELECT spans.span, floor(floor(start_time / 86400000000.0) / spans.span::numeric)::bigint, type, status,
           created_by, count(*)
    FROM sessions CROSS JOIN (VALUES (1), (32)) AS spans (span) GROUP BY 1, 2, 3, 4, 5;
DELETE FROM session_policy_time_totals;
DELETE FROM schema_migrations WHERE version = 9;
)sql"));
    }
    ASSERT_TRUE(migrate(pool));
    auto db = pool.acquire();
    ASSERT_TRUE(db);
    // Every span counts every session once, in the bucket of its start (floored).
    for (const std::int64_t span : {kHourSpan, kDaySpan, kPeriodSpan}) {
        SCOPED_TRACE(span);
        const auto counted = [&](const char* table, const char* sessions) {
            auto differing = (*db)->exec(
                (std::string("SELECT count(*) FROM ((SELECT bucket, type, n FROM ") + table +
                 " WHERE span = $1 EXCEPT SELECT floor(start_time / ($1 * 60000000.0))::bigint, type, count(*) FROM "
                 "sessions" +
                 sessions +
                 " GROUP BY 1, 2) UNION ALL (SELECT floor(start_time / ($1 * 60000000.0))::bigint, type, "
                 "count(*) FROM sessions" +
                 sessions + " GROUP BY 1, 2 EXCEPT SELECT bucket, type, n FROM " + table + " WHERE span = $1)) AS d")
                    .c_str(),
                {param(span)});
            EXPECT_TRUE(differing) << differing.error().message;
            return differing ? differing->int64(0, 0) : -1;
        };
        EXPECT_EQ(counted("session_time_totals", ""), 0);
        if (span != kHourSpan) { // a policy's counts have no hours
            EXPECT_EQ(counted("session_policy_time_totals", " WHERE policy_id IS NOT NULL"), 0);
        }
    }
    auto policy_spans = (*db)->exec("SELECT span, sum(n) FROM session_policy_time_totals GROUP BY 1 ORDER BY 1");
    ASSERT_TRUE(policy_spans);
    ASSERT_EQ(policy_spans->count(), 2);
    EXPECT_EQ(policy_spans->int64(0, 0), kDaySpan);
    EXPECT_EQ(policy_spans->int64(0, 1), 250);
    auto spans = (*db)->exec("SELECT span, sum(n) FROM session_time_totals GROUP BY 1 ORDER BY 1");
    ASSERT_TRUE(spans);
    ASSERT_EQ(spans->count(), 3);
    for (int row = 0; row < 3; ++row) {
        EXPECT_EQ(spans->int64(row, 1), 500) << "span " << spans->int64(row, 0);
    }
    // A server of schema 8 counting a session in days changes nothing.
    auto refused = (*db)->exec("INSERT INTO session_time_totals (span, bucket, type, status, created_by, n) "
                               "VALUES (1, 20000, 'PolicyBackup', 'Success', 1, 1)");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("session_time_totals_spans"), std::string::npos) << refused.error().message;
}

} // namespace
} // namespace jobsessions::store::postgres
