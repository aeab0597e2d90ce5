// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL store's connection layer on a real server (a throwaway cluster): parameters, errors, transactions,
// statements sent together, and the pool under threads.
#include "jobsessions/store/postgres/connection.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
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

// Statements of pipelines are named constants: prepared once per connection, cached by their address.
constexpr const char* kCreatePiped = "CREATE TABLE piped (id bigint PRIMARY KEY)";
constexpr const char* kInsertPiped = "INSERT INTO piped VALUES ($1)";
constexpr const char* kCountPiped = "SELECT count(*), coalesce(sum(id), 0) FROM piped";
constexpr const char* kDivideByZero = "SELECT 1 / $1::int";
constexpr const char* kMisspelt = "SELEC 1";
constexpr const char* kBeginPiped = "BEGIN";
constexpr const char* kCommitPiped = "COMMIT";

TEST_F(PostgresConnection, StatementsSentTogetherRunInOrderAndStopAtTheFirstFailure)
{
    auto db = connect();
    ASSERT_TRUE(db->exec(kCreatePiped));
    // In order, the last one's rows returned.
    auto counted = db->exec_pipelined({{kInsertPiped, {param(1)}}, {kInsertPiped, {param(2)}}, {kCountPiped, {}}});
    ASSERT_TRUE(counted) << counted.error().message;
    ASSERT_EQ(counted->size(), 3U);
    EXPECT_EQ((*counted)[0].affected(), 1);
    EXPECT_EQ(counted->back().int64(0, 0), 2);
    EXPECT_EQ(counted->back().int64(0, 1), 3);

    // A failure in the middle: its error, and the statements after it not run. Outside a transaction the
    // statements sent together are one, so the insert before the failure is undone too.
    auto failed =
        db->exec_pipelined({{kInsertPiped, {param(3)}}, {kInsertPiped, {param(1)}}, {kInsertPiped, {param(4)}}});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, StoreErrc::Conflict);
    EXPECT_TRUE(db->healthy());
    EXPECT_EQ(db->exec(kCountPiped)->int64(0, 1), 3);

    // A statement that cannot be prepared, then one that fails as it runs: each reported, the connection still
    // usable, and statements prepared afterwards get names of their own.
    auto misspelt = db->exec_pipelined({{kMisspelt, {}}, {kInsertPiped, {param(5)}}});
    ASSERT_FALSE(misspelt);
    EXPECT_NE(misspelt.error().message.find("syntax error"), std::string::npos) << misspelt.error().message;
    auto divided = db->exec_pipelined({{kDivideByZero, {param(0)}}});
    ASSERT_FALSE(divided);
    EXPECT_NE(divided.error().message.find("division by zero"), std::string::npos) << divided.error().message;
    EXPECT_TRUE(db->healthy());
    EXPECT_EQ(db->exec_pipelined({{kDivideByZero, {param(1)}}})->back().int64(0, 0), 1);

    // Within a transaction: what was sent together commits with it.
    auto committed = db->exec_pipelined(
        {{kBeginPiped, {}}, {kInsertPiped, {param(5)}}, {kInsertPiped, {param(6)}}, {kCommitPiped, {}}});
    ASSERT_TRUE(committed) << committed.error().message;
    EXPECT_TRUE(db->healthy());
    EXPECT_EQ(db->exec_prepared(kCountPiped)->int64(0, 1), 14);
    // A failure before COMMIT leaves the transaction failed, not committed: the connection is not reused.
    auto aborted = db->exec_pipelined(
        {{kBeginPiped, {}}, {kInsertPiped, {param(7)}}, {kInsertPiped, {param(7)}}, {kCommitPiped, {}}});
    ASSERT_FALSE(aborted);
    EXPECT_FALSE(db->healthy());
    ASSERT_TRUE(db->exec("ROLLBACK"));
    EXPECT_EQ(db->exec_prepared(kCountPiped)->int64(0, 1), 14);
}

TEST_F(PostgresConnection, DeferredStatementsGoAheadOfTheNextOneAndTheirFailureIsToldApart)
{
    auto db = connect();
    ASSERT_TRUE(db->exec(kCreatePiped));
    // Nothing is sent when deferred; the next statement, whichever way it runs, sees them done.
    db->defer({kInsertPiped, {param(1)}});
    db->defer({kInsertPiped, {param(2)}});
    auto counted = db->exec_prepared(kCountPiped);
    ASSERT_TRUE(counted) << counted.error().message;
    EXPECT_EQ(counted->int64(0, 0), 2);
    EXPECT_TRUE(db->notes().deferred.empty());
    db->defer({kInsertPiped, {param(3)}});
    auto pipelined = db->exec_pipelined({{kCountPiped, {}}});
    ASSERT_TRUE(pipelined) << pipelined.error().message;
    ASSERT_EQ(pipelined->size(), 1U); // the rows of the statements asked for, not of the deferred ones
    EXPECT_EQ(pipelined->front().int64(0, 0), 3);
    db->defer({kInsertPiped, {param(4)}});
    EXPECT_EQ(db->exec("SELECT count(*) FROM piped")->int64(0, 0), 4);
    EXPECT_FALSE(db->notes().deferred_failed);

    // A deferred statement that fails: the next statement answers its error, is not run, and the notes say why.
    ASSERT_TRUE(db->exec("BEGIN"));
    db->defer({kInsertPiped, {param(1)}});
    auto failed = db->exec_prepared(kInsertPiped, {param(5)});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, StoreErrc::Conflict);
    EXPECT_TRUE(db->notes().deferred_failed);
    ASSERT_TRUE(db->exec("ROLLBACK"));
    db->notes() = TransactionNotes{};
    // A statement that fails by itself after deferred ones that did not: not the deferred ones' failure.
    db->defer({kInsertPiped, {param(6)}});
    auto own = db->exec_pipelined({{kInsertPiped, {param(2)}}});
    ASSERT_FALSE(own);
    EXPECT_FALSE(db->notes().deferred_failed);
    EXPECT_EQ(db->exec(kCountPiped)->int64(0, 1), 10); // outside a transaction, sent together is one: 6 undone

    // A transaction that fails discards what its body deferred: nothing of it is sent.
    ConnectionPool pool(conninfo_, 1);
    auto refused = pool.transaction([](Connection& c) -> Result<void> {
        c.defer({kInsertPiped, {param(7)}});
        return StoreError{StoreErrc::Conflict, "refused"};
    });
    ASSERT_FALSE(refused);
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    EXPECT_TRUE((*lease)->notes().deferred.empty());
    EXPECT_EQ((*lease)->exec(kCountPiped)->int64(0, 0), 4);
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
    // A transaction that notes an announcement and ends without settling it is a bug: rather than commit a change
    // the other servers would never hear of, it commits nothing.
    auto unannounced = pool.transaction([](Connection& db) -> Result<int> {
        if (auto r = db.exec("INSERT INTO v VALUES (3)"); !r) {
            return r.error();
        }
        db.notes().announcements.emplace_back("3");
        return 3;
    });
    ASSERT_FALSE(unannounced);
    EXPECT_EQ(unannounced.error().code, StoreErrc::Corrupt);
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
    threads.reserve(8);
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

/// Waits until `n` threads wait for one of `pool`'s connections.
void wait_for_waiting(ConnectionPool& pool, std::size_t n)
{
    while (pool.waiting_threads() != n) {
        std::this_thread::yield();
    }
}

TEST_F(PostgresConnection, ThreadsWaitingForAConnectionAreServedInTheOrderTheyCame)
{
    ConnectionPool pool(conninfo_, 1);
    std::optional<Result<ConnectionPool::Lease>> held(pool.acquire());
    ASSERT_TRUE(*held);
    constexpr int kThreads = 8;
    std::mutex mutex;
    std::vector<int> served;
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto lease = pool.acquire();
            ASSERT_TRUE(lease);
            EXPECT_TRUE((*lease)->exec("SELECT 1"));
            std::lock_guard lock(mutex);
            served.push_back(t);
        });
        wait_for_waiting(pool, static_cast<std::size_t>(t) + 1); // the next one comes after this one waits
    }
    // The connection given back goes to the threads one after another, first come first served, and is the only one.
    held.reset();
    for (auto& thread : threads) {
        thread.join();
    }
    std::vector<int> in_order(kThreads);
    std::iota(in_order.begin(), in_order.end(), 0);
    EXPECT_EQ(served, in_order);
    EXPECT_EQ(pool.open_connections(), 1U);
}

TEST_F(PostgresConnection, AThreadWaitingWhenABrokenConnectionIsGivenBackOpensANewOne)
{
    ConnectionPool pool(conninfo_, 1);
    std::optional<Result<ConnectionPool::Lease>> held(pool.acquire());
    ASSERT_TRUE(*held);
    Result<std::int64_t> answered = StoreError{StoreErrc::Unavailable, "not yet"};
    std::thread waiter([&] {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease) << lease.error().message;
        auto rows = (*lease)->exec("SELECT 41 + 1");
        answered = rows ? Result<std::int64_t>(rows->int64(0, 0)) : Result<std::int64_t>(rows.error());
    });
    wait_for_waiting(pool, 1);
    // The held connection ends its own backend: broken, it is closed when given back, and its place goes on.
    EXPECT_FALSE((**held)->exec("SELECT pg_terminate_backend(pg_backend_pid())"));
    EXPECT_FALSE((**held)->healthy());
    held.reset();
    waiter.join();
    ASSERT_TRUE(answered) << answered.error().message;
    EXPECT_EQ(*answered, 42);
    EXPECT_EQ(pool.open_connections(), 1U);
}

TEST_F(PostgresConnection, AFilledPoolHasEveryConnectionOpenBeforeTheFirstIsAskedFor)
{
    auto admin = connect();
    const auto backends = [&] {
        return admin
            ->exec("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND pid <> pg_backend_pid()")
            ->int64(0, 0);
    };
    const auto before = backends();
    ConnectionPool pool(conninfo_, 3);
    EXPECT_EQ(pool.open_connections(), 0U); // opened on demand unless filled
    ASSERT_TRUE(pool.fill());
    EXPECT_EQ(pool.open_connections(), 3U);
    EXPECT_EQ(backends(), before + 3);
    // All three are idle and lent as they are: none is opened for them, and filling again opens none.
    {
        std::vector<ConnectionPool::Lease> leases;
        for (int i = 0; i < 3; ++i) {
            auto lease = pool.acquire();
            ASSERT_TRUE(lease);
            EXPECT_TRUE((*lease)->exec("SELECT 1"));
            leases.push_back(std::move(*lease));
        }
        EXPECT_EQ(backends(), before + 3);
    }
    ASSERT_TRUE(pool.fill());
    EXPECT_EQ(pool.open_connections(), 3U);
    EXPECT_EQ(backends(), before + 3);
}

TEST_F(PostgresConnection, FillingAPoolThatCannotConnectSaysWhy)
{
    ConnectionPool pool(conninfo_ + " dbname=no_such_database", 2);
    auto filled = pool.fill();
    ASSERT_FALSE(filled);
    EXPECT_EQ(filled.error().code, StoreErrc::Unavailable);
    EXPECT_NE(filled.error().message.find("no_such_database"), std::string::npos) << filled.error().message;
    EXPECT_EQ(pool.open_connections(), 0U); // the place it tried is free again
}

TEST_F(PostgresConnection, AnIdleConnectionTheServerEndedIsReplacedBeforeAStatementFailsOnIt)
{
    ConnectionPool pool(conninfo_, 2);
    ASSERT_TRUE(pool.fill());
    // Both ended while idle in the pool, as a restart of the server, an administrator or an idle timeout ends them.
    EXPECT_EQ(test::end_other_connections(conninfo_), 2);
    for (int i = 0; i < 3; ++i) {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease) << lease.error().message;
        auto rows = (*lease)->exec("SELECT 41 + 1");
        ASSERT_TRUE(rows) << "asked on a connection the server had ended: " << rows.error().message;
        EXPECT_EQ(rows->int64(0, 0), 42);
    }
    EXPECT_EQ(pool.open_connections(), 1U) << "the two ended ones closed, one opened in their place";
}

} // namespace
} // namespace jobsessions::store::postgres
