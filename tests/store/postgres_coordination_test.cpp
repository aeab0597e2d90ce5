// SPDX-License-Identifier: Apache-2.0
// How servers sharing one PostgreSQL database coordinate, on a real server: leases timed by the database's clock,
// announcements of committed changes (and none of rolled-back ones), and the runs of nodes that stopped.
#include "jobsessions/service/cluster_service.hpp"
#include "jobsessions/service/run_records.hpp"
#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/postgres/schema.hpp"

#include "support/postgres_cluster.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sys/eventfd.h>
#include <thread>

namespace jobsessions::store::postgres {
namespace {

using namespace std::chrono_literals;

constexpr util::Micros kShortLease = 300'000;
constexpr auto kPatience = 10s;

class PostgresCoordination : public test::PostgresDatabaseTest {
protected:
    void SetUp() override
    {
        PostgresDatabaseTest::SetUp();
        auto first = PgStore::open(conninfo_, 4);
        auto second = PgStore::open(conninfo_, 4);
        ASSERT_TRUE(first && second);
        a_ = std::move(*first);
        b_ = std::move(*second);
    }

    static NewSession running()
    {
        NewSession s;
        s.status = domain::SessionStatus::Running;
        s.start_time = 1'700'000'000'000'000;
        return s;
    }

    /// Waits on `listener` until `done` says what arrived is enough, collecting what was announced.
    static Announced wait_for(ChangeListener& listener, const std::function<bool(const Announced&)>& done)
    {
        Announced all;
        const auto deadline = std::chrono::steady_clock::now() + kPatience;
        while (!done(all) && std::chrono::steady_clock::now() < deadline) {
            auto announced = listener.wait(500ms);
            EXPECT_TRUE(announced) << announced.error().message;
            if (!announced) {
                break;
            }
            all.sessions.insert(all.sessions.end(), announced->sessions.begin(), announced->sessions.end());
            all.all_sessions = all.all_sessions || announced->all_sessions;
            all.policies = all.policies || announced->policies;
            all.schema = all.schema || announced->schema;
        }
        return all;
    }

    static bool has(const Announced& announced, std::int64_t id)
    {
        return std::find(announced.sessions.begin(), announced.sessions.end(), id) != announced.sessions.end();
    }

    std::unique_ptr<PgStore> a_;
    std::unique_ptr<PgStore> b_;
};

TEST_F(PostgresCoordination, ALeaseIsHeldByOneHolderUntilItRunsOutOrIsGivenUp)
{
    ClusterStore& a = *a_->cluster();
    ClusterStore& b = *b_->cluster();
    EXPECT_TRUE(*a.hold_lease("scheduler", "node-a", kShortLease));
    EXPECT_FALSE(*b.hold_lease("scheduler", "node-b", kShortLease)) << "held by node-a";
    EXPECT_TRUE(*a.hold_lease("scheduler", "node-a", kShortLease)) << "renewed by its holder";
    EXPECT_EQ(*b.live_leases(), std::vector<std::string>{"scheduler"});

    // Not renewed: it runs out by the database's clock and another holder takes it.
    bool taken = false;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!taken && std::chrono::steady_clock::now() < deadline) {
        taken = *b.hold_lease("scheduler", "node-b", 60'000'000);
        if (!taken) {
            std::this_thread::sleep_for(50ms);
        }
    }
    EXPECT_TRUE(taken);
    EXPECT_FALSE(*a.hold_lease("scheduler", "node-a", kShortLease)) << "node-b holds it now";

    ASSERT_TRUE(a.release_lease("scheduler", "node-a")); // not its holder: nothing happens
    EXPECT_FALSE(*a.hold_lease("scheduler", "node-a", kShortLease));
    ASSERT_TRUE(b.release_lease("scheduler", "node-b"));
    EXPECT_TRUE(b.live_leases()->empty());
    EXPECT_TRUE(*a.hold_lease("scheduler", "node-a", kShortLease)) << "given up: free at once";
}

// Each step of a migration is announced to the servers sharing the database, and a server reads whether another,
// newer one has upgraded the database past the schema it knows.
TEST_F(PostgresCoordination, AnUpgradeIsAnnouncedAndASchemaNewerThanThisServersIsSeen)
{
    // A server migrating a database announces each step as it commits.
    const auto other = cluster().create_database("t_announced_upgrade");
    auto watching = Connection::open(other);
    ASSERT_TRUE(watching) << watching.error().message;
    ASSERT_TRUE((*watching)->exec("LISTEN jobsessions_changes"));
    ASSERT_TRUE(PgStore::open(other, 1));
    const int never = ::eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(never, 0);
    auto payloads = (*watching)->wait_for_notifications(never, 5s);
    ::close(never);
    ASSERT_TRUE(payloads) << payloads.error().message;
    EXPECT_NE(std::find(payloads->begin(), payloads->end(), std::string(kAnnounceSchema)), payloads->end());

    ClusterStore& a = *a_->cluster();
    auto newer = a.newer_schema();
    ASSERT_TRUE(newer) << newer.error().message;
    EXPECT_FALSE(*newer) << "migrated by this server";
    auto listening = b_->listen_for_changes();
    ASSERT_TRUE(listening);
    ASSERT_TRUE((*listening)->wait(1s)); // opens the connection

    // A newer server's step, as it would record and announce it.
    auto db = Connection::open(conninfo_);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations (version) VALUES ($1)", {param(kSchemaVersion + 1)}));
    ASSERT_TRUE((*db)->exec("SELECT pg_notify($1, $2)", {param(kChangesChannel), param(kAnnounceSchema)}));
    EXPECT_TRUE(wait_for(**listening, [](const Announced& so_far) { return so_far.schema; }).schema);
    newer = a.newer_schema();
    ASSERT_TRUE(newer) << newer.error().message;
    EXPECT_EQ(*newer, std::optional<std::int64_t>(kSchemaVersion + 1));

    // The node's service refuses from the moment it checked, and says why, for its clients.
    service::ClusterService node(a, "node-a");
    EXPECT_EQ(node.refusal(), std::nullopt);
    const auto found = node.check_schema();
    ASSERT_TRUE(found);
    EXPECT_TRUE(*found);
    EXPECT_EQ(node.refusal(), "Another server upgraded the database to schema version " +
                                  std::to_string(kSchemaVersion + 1) +
                                  ", which this server does not know: it must be upgraded too.");
}

TEST_F(PostgresCoordination, CommittedChangesAreAnnouncedToOtherServers)
{
    auto listening = b_->listen_for_changes();
    ASSERT_TRUE(listening);
    auto& listener = **listening;
    // The first wait opens the connection, and says that anything may have changed before it listened.
    auto opened = listener.wait(1s);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->all_sessions);
    EXPECT_TRUE(opened->policies);

    auto created = a_->create_session(running(), nullptr);
    ASSERT_TRUE(created);
    EXPECT_TRUE(
        has(wait_for(listener, [&](const Announced& so_far) { return has(so_far, created->id); }), created->id));

    auto appended =
        a_->append_log(created->id, {NewLogEntry{1, domain::SessionStatus::Success, "line", 0, 0}}, nullptr);
    ASSERT_TRUE(appended);
    EXPECT_TRUE(
        has(wait_for(listener, [&](const Announced& so_far) { return has(so_far, created->id); }), created->id));

    domain::Policy policy;
    policy.id = "p1";
    policy.name = "Nightly";
    policy.command = {"true"};
    ASSERT_TRUE(a_->create_policy(policy));
    EXPECT_TRUE(wait_for(listener, [](const Announced& so_far) { return so_far.policies; }).policies);

    ASSERT_TRUE(a_->import_sessions({running(), running()}));
    EXPECT_TRUE(wait_for(listener, [](const Announced& so_far) { return so_far.all_sessions; }).all_sessions);
}

TEST_F(PostgresCoordination, AWriteThatDoesNotCommitAnnouncesNothingAndAnInterruptEndsAWait)
{
    auto created = a_->create_session(running(), nullptr);
    ASSERT_TRUE(created);
    auto listening = b_->listen_for_changes();
    ASSERT_TRUE(listening);
    auto& listener = **listening;
    ASSERT_TRUE(listener.wait(1s)); // opens the connection

    // A change refused (the session moved on meanwhile) rolls back: nothing to announce.
    auto stale = *created;
    stale.status = domain::SessionStatus::Success;
    EXPECT_EQ(a_->replace_session(stale, created->usn + 1000, nullptr).error().code, StoreErrc::Conflict);
    std::thread interrupter([&] {
        std::this_thread::sleep_for(200ms);
        listener.interrupt();
    });
    const auto started = std::chrono::steady_clock::now();
    auto announced = listener.wait(30s);
    interrupter.join();
    ASSERT_TRUE(announced);
    EXPECT_TRUE(announced->sessions.empty());
    EXPECT_FALSE(announced->all_sessions);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 20s) << "the interrupt ended the wait";
}

TEST_F(PostgresCoordination, TheRunsOfANodeWhoseLeaseRanOutAreOrphaned)
{
    service::ClusterService node_a(*a_->cluster(), "node-a");
    service::ClusterService node_b(*b_->cluster(), "node-b");
    service::RunRecords runs_a(*a_, "node-a");
    service::RunRecords runs_b(*b_, "node-b");
    auto first = a_->create_session(running(), nullptr);
    auto second = b_->create_session(running(), nullptr);
    ASSERT_TRUE(first && second);
    ASSERT_TRUE(node_a.keep_alive(kShortLease));
    ASSERT_TRUE(node_b.keep_alive(60'000'000));
    ASSERT_TRUE(runs_a.record(PolicyRun{first->id, "p1", 100, 7, {}}));
    ASSERT_TRUE(runs_b.record(PolicyRun{second->id, "p1", 200, 8, {}}));

    auto own = runs_a.left_behind();
    ASSERT_TRUE(own);
    ASSERT_EQ(own->size(), 1U);
    EXPECT_EQ(own->front().session_id, first->id);
    EXPECT_EQ(own->front().node, "node-a");

    // node-a stops renewing: once its lease has run out, node-b finds its run orphaned (and never its own).
    std::vector<PolicyRun> orphaned;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (orphaned.empty() && std::chrono::steady_clock::now() < deadline) {
        auto live = node_b.live_nodes();
        ASSERT_TRUE(live);
        auto found = runs_b.orphaned(*live);
        ASSERT_TRUE(found);
        orphaned = *found;
        if (orphaned.empty()) {
            EXPECT_NE(std::find(live->begin(), live->end(), "node-a"), live->end());
            std::this_thread::sleep_for(50ms);
        }
    }
    ASSERT_EQ(orphaned.size(), 1U);
    EXPECT_EQ(orphaned.front().session_id, first->id);
    EXPECT_EQ(*node_b.live_nodes(), std::vector<std::string>{"node-b"});

    // Scheduling goes to one node at a time; stepping down frees it for the other at once.
    EXPECT_TRUE(*node_b.hold_scheduling(60'000'000));
    EXPECT_FALSE(*node_a.hold_scheduling(60'000'000));
    ASSERT_TRUE(node_b.step_down());
    EXPECT_TRUE(*node_a.hold_scheduling(60'000'000));
    EXPECT_TRUE(node_b.live_nodes()->empty());
}

} // namespace
} // namespace jobsessions::store::postgres
