// SPDX-License-Identifier: Apache-2.0
// Counts kept by the sessions' version they were read at (kept_counts.hpp), on a real server: taken again at that
// version without a statement, never at another.
#include "jobsessions/store/postgres/kept_counts.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace jobsessions::store::postgres {
namespace {

class PostgresKeptCounts : public test::PostgresDatabaseTest {
protected:
    void SetUp() override
    {
        test::PostgresDatabaseTest::SetUp();
        auto opened = Connection::open(conninfo_);
        ASSERT_TRUE(opened) << opened.error().message;
        db_ = std::move(*opened);
        ASSERT_TRUE(db_->exec("CREATE TABLE counted (day bigint, n bigint)"));
        ASSERT_TRUE(db_->exec("INSERT INTO counted VALUES (1, 10), (2, 20), (3, 30)"));
    }

    std::unique_ptr<Connection> db_;
    const std::string per_day_ = "SELECT day, n FROM counted WHERE day >= $1 ORDER BY day";
};

TEST_F(PostgresKeptCounts, ACountReadAtAVersionIsTakenAgainAtThatVersionOnly)
{
    KeptCounts kept(1 << 20);
    Counter at_7(*db_, &kept, 7);
    auto first = at_7.read(per_day_, {param(2)}, 2);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(**first, (KeptCounts::Numbers{2, 20, 3, 30}));
    EXPECT_EQ(kept.size(), 1U);

    // The table changes behind the kept numbers (in the store, only with a new version).
    ASSERT_TRUE(db_->exec("UPDATE counted SET n = n + 1"));
    Counter again_at_7(*db_, &kept, 7);
    auto kept_numbers = again_at_7.read(per_day_, {param(2)}, 2);
    ASSERT_TRUE(kept_numbers);
    EXPECT_EQ(kept_numbers->get(), first->get()) << "read again instead of taken from what was kept";

    // Other parameters are another statement; another version reads afresh and is kept in place of the old.
    Counter at_8(*db_, &kept, 8);
    EXPECT_EQ(**at_8.read(per_day_, {param(3)}, 2), (KeptCounts::Numbers{3, 31}));
    EXPECT_EQ(**at_8.read(per_day_, {param(2)}, 2), (KeptCounts::Numbers{2, 21, 3, 31}));
    ASSERT_TRUE(db_->exec("UPDATE counted SET n = n + 100"));
    EXPECT_EQ(**at_8.read(per_day_, {param(2)}, 2), (KeptCounts::Numbers{2, 21, 3, 31}));
    EXPECT_EQ(**again_at_7.read(per_day_, {param(2)}, 2), (KeptCounts::Numbers{2, 121, 3, 131}))
        << "a count kept at version 8 taken at version 7";

    // A single number; and without a version nothing is kept or taken.
    Counter at_9(*db_, &kept, 9);
    EXPECT_EQ(*at_9.single("SELECT sum(n)::bigint FROM counted", {}), 363);
    ASSERT_TRUE(db_->exec("UPDATE counted SET n = 0"));
    EXPECT_EQ(*at_9.single("SELECT sum(n)::bigint FROM counted", {}), 363);
    Counter unversioned(*db_, &kept, std::nullopt);
    EXPECT_EQ(*unversioned.single("SELECT sum(n)::bigint FROM counted", {}), 0);
    EXPECT_EQ(*unversioned.single("SELECT count(*) FROM counted WHERE n = $1", {param(0)}), 3);
    EXPECT_EQ(kept.size(), 3U);
}

TEST_F(PostgresKeptCounts, KeepingStaysWithinItsBytes)
{
    KeptCounts kept(4096);
    for (int day = 0; day < 100; ++day) {
        Counter counter(*db_, &kept, 1);
        ASSERT_TRUE(counter.read(per_day_, {param(day)}, 2));
    }
    EXPECT_LT(kept.size(), 30U);
    EXPECT_GT(kept.size(), 0U);
}

} // namespace
} // namespace jobsessions::store::postgres
