// SPDX-License-Identifier: Apache-2.0
// How PostgreSQL reads a page (pg_lists.hpp), on a real server: its keys from a list index alone, without reading
// the rows of the sessions the page skips, for the list of every single kind of filter; then its rows by id.
#include "jobsessions/store/postgres/pg_lists.hpp"
#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/store/postgres/session_rows.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

class PostgresPagePlans : public test::PostgresDatabaseTest {
protected:
    void SetUp() override
    {
        test::PostgresDatabaseTest::SetUp();
        ConnectionPool pool(conninfo_, 1);
        ASSERT_TRUE(migrate(pool));
        auto opened = Connection::open(conninfo_);
        ASSERT_TRUE(opened) << opened.error().message;
        db_ = std::move(*opened);
        // 20,000 sessions over 200 days, of four types, two statuses, ten policies and two creators; vacuumed, as
        // autovacuum leaves all but the newest pages of a table.
        ASSERT_TRUE(
            db_->exec("INSERT INTO sessions (type, status, start_time, usn, created_by, policy_id, policy_name)"
                      " SELECT (ARRAY['PolicyBackup', 'PolicySnapshot', 'BackupRetention', 'RestoreVms'])[1 + i % 4],"
                      " (ARRAY['Success', 'Error'])[1 + i % 2], i::bigint * 864000000, i, 1 + i % 2,"
                      " 'policy-' || (i % 10), 'Policy ' || (i % 10) FROM generate_series(1, 20000) AS i"));
        ASSERT_TRUE(db_->exec("VACUUM (ANALYZE) sessions"));
    }

    /// PostgreSQL's plan of the statement reading the page at `offset` of `filter`'s list.
    std::string plan_of(const SessionFilter& filter, std::int64_t offset, bool with_version)
    {
        std::vector<Param> params;
        const auto sql = page_statement(filter, offset, 30, with_version, params);
        auto rows = db_->exec(("EXPLAIN " + sql).c_str(), params);
        EXPECT_TRUE(rows) << rows.error().message;
        std::string plan;
        for (int r = 0; rows && r < rows->count(); ++r) {
            plan += std::string(rows->text(r, 0)) + "\n";
        }
        return plan;
    }

    std::unique_ptr<Connection> db_;
};

TEST_F(PostgresPagePlans, APageReadsItsKeysFromAListIndexAloneThenItsRowsById)
{
    constexpr util::Micros kDay = 86'400'000'000;
    SessionFilter none;
    SessionFilter types;
    types.types = {domain::SessionType::PolicyBackup};
    SessionFilter statuses;
    statuses.statuses = {domain::SessionStatus::Error};
    SessionFilter policy;
    policy.policy_id = "policy-3";
    SessionFilter creator;
    creator.created_by = 2;
    const struct {
        const char* name;
        SessionFilter filter;
        const char* index;
    } lists[] = {{"whole list", none, "sessions_by_start"},
                 {"types", types, "sessions_by_type"},
                 {"statuses", statuses, "sessions_by_status"},
                 {"policy", policy, "sessions_by_policy"},
                 {"creator", creator, "sessions_by_creator"}};
    for (const auto& list : lists) {
        // As seek_page places a deep page: the list narrowed to the sessions before a day, and an offset in it.
        auto deep = list.filter;
        deep.to = 150 * kDay;
        for (const auto& [filter, offset] :
             {std::pair{list.filter, std::int64_t{0}}, std::pair{deep, std::int64_t{40}}}) {
            for (const bool with_version : {false, true}) {
                const auto plan = plan_of(filter, offset, with_version);
                EXPECT_NE(plan.find(std::string("Index Only Scan using ") + list.index + " on sessions"),
                          std::string::npos)
                    << list.name << " at offset " << offset << ":\n"
                    << plan;
                EXPECT_NE(plan.find("Index Scan using sessions_pkey on sessions"), std::string::npos) << plan;
                EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
            }
        }
    }
}

// A list of several types (or statuses) reads the first sessions of each from its own index and merges them in
// order: a plan made without the values would walk the index of start times and drop the sessions of the other types
// one by one, all of it when the types asked for are rare.
TEST_F(PostgresPagePlans, APageOfSeveralTypesOrStatusesMergesTheirIndexes)
{
    constexpr util::Micros kDay = 86'400'000'000;
    SessionFilter types;
    types.types = {domain::SessionType::RestoreVms, domain::SessionType::PolicyBackup, domain::SessionType::RestoreVms};
    SessionFilter statuses;
    statuses.statuses = {domain::SessionStatus::Error, domain::SessionStatus::Success};
    const struct {
        const char* name;
        SessionFilter filter;
        const char* index;
    } lists[] = {{"types", types, "sessions_by_type"}, {"statuses", statuses, "sessions_by_status"}};
    for (const auto& list : lists) {
        auto deep = list.filter;
        deep.to = 150 * kDay;
        for (const auto& [filter, offset] :
             {std::pair{list.filter, std::int64_t{0}}, std::pair{deep, std::int64_t{40}}}) {
            const auto plan = plan_of(filter, offset, true);
            EXPECT_NE(plan.find("Merge Append"), std::string::npos) << list.name << ":\n" << plan;
            const auto scans = std::string("Index Only Scan using ") + list.index + " on sessions";
            std::size_t found = 0;
            for (auto at = plan.find(scans); at != std::string::npos; at = plan.find(scans, at + 1)) {
                ++found;
            }
            EXPECT_EQ(found, 2U) << list.name << ":\n" << plan;
            EXPECT_EQ(plan.find("Index Only Scan using sessions_by_start"), std::string::npos) << plan;
            EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
        }
    }
}

// PostgreSQL plans a statement it was given prepared with its parameters' values five times, then keeps a plan made
// without them if that costs no more: a page's statement keeps one plan, not one more for every offset; so does one
// that merges the lists of several types.
TEST_F(PostgresPagePlans, APageStatementIsPlannedOnceForEveryOffset)
{
    constexpr util::Micros kDay = 86'400'000'000;
    SessionFilter deep;
    deep.to = 150 * kDay;
    auto of_two_types = deep;
    of_two_types.types = {domain::SessionType::PolicyBackup, domain::SessionType::RestoreVms};
    for (const auto& filter : {deep, of_two_types}) {
        const auto every = filter.types.empty() ? 1 : 2; // two types of four are every other session
        std::string sql;
        for (std::int64_t offset = 0; offset < 400; offset += 20) {
            std::vector<Param> params;
            sql = page_statement(filter, offset, 30, true, params);
            auto rows = db_->exec_built(sql, params);
            ASSERT_TRUE(rows) << rows.error().message;
            ASSERT_EQ(rows->count(), 30);
            auto first = read_session(*rows, 0);
            ASSERT_TRUE(first) << first.error().message;
            EXPECT_EQ(first->usn, 14'999 - every * offset);   // usn i started on day i / 100
            EXPECT_FALSE(rows->null(0, kSessionColumnCount)); // the version
        }
        auto plans = db_->exec("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
                               {param(sql)});
        ASSERT_TRUE(plans) << plans.error().message;
        ASSERT_EQ(plans->count(), 1);
        EXPECT_EQ(plans->int64(0, 0), 15);
        EXPECT_EQ(plans->int64(0, 1), 5);
    }
}

} // namespace
} // namespace jobsessions::store::postgres
