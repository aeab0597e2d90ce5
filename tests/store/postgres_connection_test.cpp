// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's connection layer on a real server (a throwaway cluster): parameters, errors, transactions,
// and the pool under threads.
#include "jobsessions/store/postgres/connection.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

class PostgresConnection : public test::PostgresDatabaseTest {
protected:
    std::unique_ptr<Connection> connect()
    {
        auto opened = Connection::open(conninfo_);
        EXPECT_TRUE(opened) << opened.error().message;
        return std::move(*opened);
    }
};

TEST_F(PostgresConnection, ParametersTravelApartFromTheStatementText)
{
    auto db = connect();
    ASSERT_TRUE(db->exec("CREATE TABLE t (id bigint PRIMARY KEY, name text, note text)"));
    const std::string hostile = "x'); DROP TABLE t; --";
    ASSERT_TRUE(
        db->exec("INSERT INTO t (id, name, note) VALUES ($1, $2, $3)", {param(7), param(hostile), std::nullopt}));
    auto rows = db->exec("SELECT id, name, note FROM t WHERE id = $1", {param(7)});
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->count(), 1);
    EXPECT_EQ(rows->int64(0, 0), 7);
    EXPECT_EQ(rows->text(0, 1), hostile);
    EXPECT_TRUE(rows->null(0, 2));
    EXPECT_FALSE(rows->optional_int64(0, 2));
    auto updated = db->exec("UPDATE t SET note = $2 WHERE id = $1", {param(7), flag(true)});
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->affected(), 1);
    EXPECT_TRUE(db->exec("SELECT note::boolean FROM t")->boolean(0, 0));
}

TEST_F(PostgresConnection, FailuresAreMappedAndNeverRepeatTheConnectionString)
{
    auto db = connect();
    ASSERT_TRUE(db->exec("CREATE TABLE u (name text PRIMARY KEY)"));
    ASSERT_TRUE(db->exec("INSERT INTO u VALUES ($1)", {param(std::string_view("a"))}));
    auto duplicate = db->exec("INSERT INTO u VALUES ($1)", {param(std::string_view("a"))});
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code, StoreErrc::Conflict);
    auto bad = db->exec("SELEC 1");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, StoreErrc::Unavailable);
    EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
    EXPECT_TRUE(db->healthy());

    auto refused = Connection::open("host=" + cluster().socket_directory() +
                                    "/nowhere user=postgres password=do-not-print-me dbname=x");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, StoreErrc::Unavailable);
    EXPECT_EQ(refused.error().message.find("do-not-print-me"), std::string::npos) << refused.error().message;
}

TEST_F(PostgresConnection, ATransactionCommitsWhatItsBodyDidOrNothing)
{
    ConnectionPool pool(conninfo_, 2);
    {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease);
        ASSERT_TRUE((*lease)->exec("CREATE TABLE v (n bigint NOT NULL)"));
    }
    auto committed = pool.transaction([](Connection& db) -> Result<int> {
        if (auto r = db.exec("INSERT INTO v VALUES (1)"); !r) {
            return r.error();
        }
        return 1;
    });
    ASSERT_TRUE(committed);
    auto failed = pool.transaction([](Connection& db) -> Result<int> {
        if (auto r = db.exec("INSERT INTO v VALUES (2)"); !r) {
            return r.error();
        }
        return StoreError{StoreErrc::Conflict, "changed meanwhile"};
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, StoreErrc::Conflict);
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    auto rows = (*lease)->exec("SELECT n FROM v ORDER BY n");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->count(), 1);
    EXPECT_EQ(rows->int64(0, 0), 1);
}

TEST_F(PostgresConnection, ThePoolSharesAtMostItsSizeOfConnectionsAmongThreads)
{
    ConnectionPool pool(conninfo_, 3);
    {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease);
        ASSERT_TRUE((*lease)->exec("CREATE TABLE c (n bigint NOT NULL)"));
        ASSERT_TRUE((*lease)->exec("INSERT INTO c VALUES (0)"));
    }
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto done = pool.transaction([](Connection& db) -> Result<std::int64_t> {
                    auto rows = db.exec("UPDATE c SET n = n + 1 RETURNING n");
                    if (!rows) {
                        return rows.error();
                    }
                    return rows->int64(0, 0);
                });
                failures += done ? 0 : 1;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_LE(pool.open_connections(), 3U);
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    EXPECT_EQ((*lease)->exec("SELECT n FROM c")->int64(0, 0), 400);
}

} // namespace
} // namespace jobsessions::store::postgres
