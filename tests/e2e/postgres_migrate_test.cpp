// SPDX-License-Identifier: Apache-2.0
// `jobsessiond migrate`: a SQLite store with sessions, logs, policies, users, idempotency records and a webhook's
// pending delivery copied into PostgreSQL, keeping ids and usns; a server on the database then answers as the old
// one did, and sends the delivery with the body the old one tried.
#include "jobsessions/store/postgres/connection.hpp"

#include "e2e/e2e_fixture.hpp"
#include "support/postgres_cluster.hpp"
#include "support/webhook_receiver.hpp"

#include <atomic>
#include <memory>
#include <sstream>
#include <utility>

namespace jobsessions::test {
namespace {

class PostgresMigrate : public ServerTest {
protected:
    static void SetUpTestSuite() { suite_cluster = std::make_unique<PostgresCluster>(); }
    static void TearDownTestSuite() { suite_cluster.reset(); }

    void SetUp() override
    {
        ServerTest::SetUp();
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string name = std::string("migrate_") + info->name();
        conninfo_ = suite_cluster->create_database(name);
        database_ = "postgresql:///" + name + "?host=" + suite_cluster->socket_directory() + "&user=postgres";
    }

    ProcessResult migrate() { return run_jobsessiond({"migrate", "--from", data_dir(), "--to", database_}); }

    /// The row of `table` in migrate's report: copied and in the database.
    static std::string report_line(const std::string& out, const std::string& table)
    {
        const auto at = out.find("\n" + table + " ");
        return at == std::string::npos ? "" : out.substr(at + 1, out.find('\n', at + 1) - at - 1);
    }

    /// The numbers of a report line.
    static std::pair<long long, long long> counts(const std::string& line)
    {
        std::istringstream words(line);
        std::string table;
        long long copied = -1;
        long long held = -1;
        words >> table >> copied >> held;
        return {copied, held};
    }

    /// `text` with this server's links as another server (its port) would write them.
    static std::string as_served_by(std::string text, const ServerProcess& from, const ServerProcess& to)
    {
        for (auto at = text.find(from.host()); at != std::string::npos; at = text.find(from.host(), at)) {
            text.replace(at, from.host().size(), to.host());
            at += to.host().size();
        }
        return text;
    }

    static inline std::unique_ptr<PostgresCluster> suite_cluster;
    std::string database_;
    std::string conninfo_; // the same database, as libpq's connection string
};

TEST_F(PostgresMigrate, CopiesEverythingKeepingIdsAndUsnsAndIsSafeToRunAgain)
{
    start(false, {"--webhooks-allow-private", "--webhooks-first-retry-ms", "100"});
    // A store with history: finished and running sessions with logs, a policy, a second user, an idempotent write.
    std::vector<std::string> ids;
    ids.reserve(30);
    for (int i = 0; i < 30; ++i) {
        ids.push_back(str(create(i % 3 == 0 ? R"({"type":"PolicyBackup","status":"Running"})"
                                            : R"({"type":"PolicyBackup","status":"Success"})"),
                          "id"));
    }
    ASSERT_EQ(client_
                  ->send_json("POST", "/api/v1/jobSessions/" + ids[0] + "/log",
                              R"({"log":[{"status":"Success","message":"one"},{"status":"Warning","message":"two"}]})",
                              admin_token())
                  .status,
              201);
    const auto keyed = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", admin_token(),
                                          {{"Idempotency-Key", "create-once"}});
    ASSERT_EQ(keyed.status, 201);
    const auto policy = client_->send_json(
        "POST", "/api/v1/policies", R"({"name":"nightly","schedule":"0 2 * * *","command":["true"]})", admin_token());
    ASSERT_EQ(policy.status, 201) << policy.body;
    // A webhook made now watches the eleven sessions still running. One of them finishes: its delivery stays
    // pending while the receiver refuses it.
    std::atomic<bool> accepting{false}; // outlives the receiver, whose thread reads it
    WebhookReceiver receiver;
    receiver.answer([&](const ReceivedPost&, const std::vector<ReceivedPost>&) { return accepting ? 200 : 503; });
    const auto webhook =
        client_->send_json("POST", "/api/v1/webhooks",
                           R"({"url":")" + receiver.url() + R"(","events":["sessionFinished"]})", admin_token());
    ASSERT_EQ(webhook.status, 201) << webhook.body;
    ASSERT_EQ(
        client_->send_json("PATCH", "/api/v1/jobSessions/" + ids[0], R"({"status":"Success"})", admin_token()).status,
        200);
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return !got.empty(); }));
    const auto viewer_token = login_new_user("auditor", "Viewer");
    const auto before = client_->get("/api/v1/jobSessions/" + ids[1], admin_token()).body;
    const auto before_log = client_->get("/api/v1/jobSessions/" + ids[0] + "/log", admin_token()).body;
    const auto before_list = client_->get("/api/v1/jobSessions?Limit=100", admin_token()).json();
    const auto token = admin_token();

    // While a server serves the data directory, migrate refuses: the copy would not be one moment of it.
    const auto refused = migrate();
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("already serving the data directory"), std::string::npos) << refused.err;

    ASSERT_EQ(server_->terminate(), 0);
    const auto first = migrate();
    ASSERT_EQ(first.exit_code, 0) << first.err;
    using Counts = std::pair<long long, long long>;
    EXPECT_EQ(counts(report_line(first.out, "sessions")), Counts(31, 31)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "log_entries")), Counts(2, 2)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "policies")), Counts(1, 1)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "users")), Counts(2, 2)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "idempotency_keys")), Counts(1, 1)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "webhooks")), Counts(1, 1)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "webhook_cursor")), Counts(1, 1)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "webhook_watch")), Counts(10, 10)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "webhook_events")), Counts(1, 1)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "webhook_deliveries")), Counts(1, 1)) << first.out;
    EXPECT_EQ(counts(report_line(first.out, "settings")).first, counts(report_line(first.out, "settings")).second);
    {
        // Vacuumed and analyzed, as after any bulk load: the planner has the copy's statistics, and a page's keys
        // come from an index alone, without waiting for autovacuum.
        auto db = store::postgres::Connection::open(conninfo_);
        ASSERT_TRUE(db) << db.error().message;
        auto seen = (*db)->exec("SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables"
                                " WHERE relname = 'sessions'");
        ASSERT_TRUE(seen) << seen.error().message;
        ASSERT_EQ(seen->count(), 1);
        EXPECT_EQ(seen->text(0, 0), "t");
        EXPECT_EQ(seen->text(0, 1), "t");
    }
    // Again: nothing doubles.
    const auto second = migrate();
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(report_line(second.out, "sessions"), report_line(first.out, "sessions"));
    EXPECT_EQ(report_line(second.out, "log_entries"), report_line(first.out, "log_entries"));

    // A server on the database with a fresh data directory answers byte for byte as the old one did, and its
    // receiver is up again.
    accepting = true;
    TempDir fresh;
    auto old_server = std::move(server_);
    client_.reset();
    server_ = std::make_unique<ServerProcess>(
        ServerOptions{fresh.file("data"), false, {"--webhooks-allow-private"}, {{"JOBSESSIOND_DATABASE", database_}}});
    client_ = std::make_unique<HttpClient>(*server_);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + ids[1], token).body, as_served_by(before, *old_server, *server_))
        << "the old token still works";
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + ids[0] + "/log", token).body,
              as_served_by(before_log, *old_server, *server_));
    const auto webhooks = client_->get("/api/v1/webhooks", token);
    ASSERT_EQ(webhooks.status, 200) << webhooks.body;
    EXPECT_EQ(webhooks.json().at("results").at(0).at("id"), webhook.json().at("id"));
    // The delivery the old server tried goes out from the new one, the same delivery with the same body.
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.back().answered == 200; }))
        << server_->stderr_text();
    const auto posts = receiver.received();
    EXPECT_EQ(posts.back().body, posts.front().body);
    EXPECT_EQ(posts.back().header("webhook-id"), posts.front().header("webhook-id"));
    EXPECT_NE(posts.back().body.find(ids[0]), std::string::npos) << posts.back().body;
    const auto after_list = client_->get("/api/v1/jobSessions?Limit=100", token).json();
    EXPECT_EQ(after_list.at("totalCount"), before_list.at("totalCount"));
    const auto& was = before_list.at("results").as_array();
    const auto& now = after_list.at("results").as_array();
    ASSERT_EQ(now.size(), was.size());
    for (std::size_t i = 0; i < now.size(); ++i) {
        EXPECT_EQ(now[i].at("id"), was[i].at("id"));
        EXPECT_EQ(now[i].at("usn"), was[i].at("usn"));
        EXPECT_EQ(now[i].at("status"), was[i].at("status"));
    }
    EXPECT_EQ(client_->get("/api/v1/jobSessions?Limit=1", viewer_token).status, 200);
    EXPECT_FALSE(login(*client_, "auditor", "auditor-password").empty());
    const auto replayed = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token,
                                             {{"Idempotency-Key", "create-once"}});
    EXPECT_EQ(replayed.status, 201);
    EXPECT_EQ(str(replayed.json(), "id"), str(keyed.json(), "id")) << "the recorded answer is given again";
    const auto policies = client_->get("/api/v1/policies", token).json().at("results").as_array();
    ASSERT_EQ(policies.size(), 1U);
    EXPECT_EQ(str(policies[0], "name"), "nightly");

    // What is written next follows the copied ids and usns.
    const auto highest_usn = client_->get("/api/v1/jobSessions/changes?usn=0&limit=1000", token).json().at("usn");
    const auto next = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token);
    ASSERT_EQ(next.status, 201);
    EXPECT_GT(std::stoll(str(next.json(), "id")), std::stoll(str(keyed.json(), "id")));
    EXPECT_GT(next.json().at("usn").as_int64(), highest_usn.as_int64());
}

TEST(PostgresMigrateCommandLine, NeedsATargetAndAStore)
{
    TempDir dir;
    const auto no_target = run_jobsessiond({"migrate", "--from", dir.file("data")});
    EXPECT_EQ(no_target.exit_code, 2);
    EXPECT_NE(no_target.err.find("migrate needs --to postgresql://"), std::string::npos) << no_target.err;
    const auto no_store = run_jobsessiond({"migrate", "--from", dir.file("data"), "--to", "postgresql:///x"});
    EXPECT_EQ(no_store.exit_code, 2);
    EXPECT_NE(no_store.err.find("there is no store to copy"), std::string::npos) << no_store.err;
    const auto password = run_jobsessiond({"migrate", "--from", dir.file("data"), "--to", "postgresql://u:pw@h/x"});
    EXPECT_EQ(password.exit_code, 2);
    EXPECT_EQ(password.err.find("pw@"), std::string::npos) << password.err;
}

} // namespace
} // namespace jobsessions::test
