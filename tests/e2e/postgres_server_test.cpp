// SPDX-License-Identifier: Apache-2.0
// The server on a PostgreSQL database (a throwaway cluster): the same API, and what was written outlives the
// server.

#include "jobsessions/store/postgres/connection.hpp"

#include "e2e/e2e_fixture.hpp"
#include "support/postgres_cluster.hpp"
#include "support/webhook_receiver.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace jobsessions::test {
namespace {

class PostgresServer : public ServerTest {
protected:
    static void SetUpTestSuite() { running_cluster = std::make_unique<PostgresCluster>(); }
    static void TearDownTestSuite() { running_cluster.reset(); }

    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string name = std::string("e2e_") + info->name();
        running_cluster->create_database(name);
        database_name_ = name;
        // The URI names the socket directory as a parameter; it is given through the environment, as a URI with a
        // password must be.
        database_ = "postgresql:///" + name + "?host=" + running_cluster->socket_directory() + "&user=postgres";
        start(false, {}, {{"JOBSESSIOND_DATABASE", database_}});
    }

    static PostgresCluster& cluster() { return *running_cluster; }

    std::string database_;
    std::string database_name_;

private:
    static inline std::unique_ptr<PostgresCluster> running_cluster;
};

TEST_F(PostgresServer, SessionsAndTheirLogsAreKeptInTheDatabaseAcrossRestarts)
{
    auto about = client_->get("/api/v1/system/about").json().as_object();
    EXPECT_EQ(about.at("storage").as_string(), "postgresql");
    EXPECT_EQ(client_->get("/health/ready").status, 200);

    const auto created = create(R"({"type":"PolicyBackup","status":"Running"})");
    const auto id = std::string(created.at("id").as_string());
    const auto appended = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                             R"({"log":[{"status":"Success","message":"copied 3 files"},)"
                                             R"({"status":"Success","message":"done"}]})",
                                             admin_token());
    ASSERT_EQ(appended.status, 201) << appended.body;
    EXPECT_EQ(appended.json().at("lastSequence").as_int64(), 2);
    const auto finished =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token());
    ASSERT_EQ(finished.status, 200) << finished.body;

    // Another server process on the same database (and a fresh data directory) sees all of it.
    server_.reset();
    start(false, {}, {{"JOBSESSIOND_DATABASE", database_}});
    const auto read = client_->get("/api/v1/jobSessions/" + id, admin_token());
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.json().at("status").as_string(), "Success");
    const auto log = client_->get("/api/v1/jobSessions/" + id + "/log", admin_token());
    ASSERT_EQ(log.status, 200);
    const auto entries = log.json().at("log").as_array();
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[1].at("message").as_string(), "done");
    const auto list = client_->get("/api/v1/jobSessions?Status=Success", admin_token());
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json().at("totalCount").as_int64(), 1);
}

TEST_F(PostgresServer, WebhooksDeliverTheEventsOfEachSessionInOrder)
{
    start(false, {"--webhooks-allow-private"}, {{"JOBSESSIOND_DATABASE", database_}});
    WebhookReceiver receiver;
    const auto hook = client_->send_json(
        "POST", "/api/v1/webhooks",
        R"({"url":")" + receiver.url() + R"(","events":["sessionStarted","sessionStatusChanged","sessionFinished"]})",
        admin_token());
    ASSERT_EQ(hook.status, 201) << hook.body;
    const auto id = std::string(create(R"({"type":"PolicyBackup","status":"Running"})").at("id").as_string());
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() == 1; }));
    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Failed"})", admin_token()).status,
              400); // not a status: nothing happens
    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Error"})", admin_token()).status,
              200);
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() == 3; }));
    std::vector<std::string> events;
    for (const auto& post : receiver.received()) {
        const auto body = boost::json::parse(post.body);
        EXPECT_EQ(body.at("data").at("id").as_string(), id);
        events.emplace_back(body.at("type").as_string());
    }
    EXPECT_EQ(events, (std::vector<std::string>{"sessionStarted", "sessionStatusChanged", "sessionFinished"}));
    const auto deliveries = client_->get(
        "/api/v1/webhooks/" + std::string(hook.json().at("id").as_string()) + "/deliveries", admin_token());
    ASSERT_EQ(deliveries.status, 200) << deliveries.body;
    EXPECT_EQ(deliveries.json().at("totalCount").as_int64(), 3);
}

// A GET by id waits for the database on the I/O thread's event loop, the lookups of many clients at once sharing
// statements: each client still gets its own answer, an Agent only its own sessions, and a connection the
// database ended is replaced without an error.
TEST_F(PostgresServer, SessionsAreReadByIdThroughTheEventLoopEvenAfterTheDatabaseEndedTheConnections)
{
    const auto first = std::string(create(R"({"type":"PolicyBackup","status":"Running"})").at("id").as_string());
    const auto second = std::string(create(R"({"type":"HealthCheck","status":"Success"})").at("id").as_string());
    const auto expected_first = client_->get("/api/v1/jobSessions/" + first, admin_token());
    ASSERT_EQ(expected_first.status, 200) << expected_first.body;
    EXPECT_EQ(expected_first.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(expected_first.json().at("id").as_string(), first);
    const auto expected_second = client_->get("/api/v1/jobSessions/" + second, admin_token());
    ASSERT_EQ(expected_second.status, 200) << expected_second.body;

    std::atomic<int> wrong{0};
    constexpr int kClients = 8;
    std::vector<std::thread> clients;
    clients.reserve(kClients);
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            HttpClient client(*server_);
            for (int i = 0; i < 40; ++i) {
                const auto& id = (c + i) % 2 == 0 ? first : second;
                const auto got = client.get("/api/v1/jobSessions/" + id, admin_token_);
                wrong += got.status == 200 && got.json().at("id").as_string() == id ? 0 : 1;
                const auto missing = client.get("/api/v1/jobSessions/999999", admin_token_);
                wrong += missing.status == 404 &&
                                 missing.header("Content-Type") == "application/problem+json; charset=utf-8" &&
                                 missing.json().as_object().contains("traceId")
                             ? 0
                             : 1;
            }
        });
    }
    for (auto& client : clients) {
        client.join();
    }
    EXPECT_EQ(wrong, 0);

    const auto added = run_jobsessiond({"user", "add", "agent-1", "--role", "Agent", "--data-dir", data_dir()},
                                       "agent-1-password\n", {{"JOBSESSIOND_DATABASE", database_}});
    ASSERT_EQ(added.exit_code, 0) << added.err;
    const auto agent = login(*client_, "agent-1", "agent-1-password");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + first, agent).status, 404);

    // The database ends every connection of the server's; the next read still answers.
    EXPECT_GE(end_other_connections(cluster().conninfo(database_name_)), 1);
    const auto again = client_->get("/api/v1/jobSessions/" + second, admin_token());
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.body, expected_second.body); // finished: the same bytes
    const auto head =
        client_->request("HEAD", "/api/v1/jobSessions/" + second, "", {{"Authorization", "Bearer " + admin_token()}});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length"), std::to_string(expected_second.body.size()));
    EXPECT_TRUE(head.body.empty());
}

TEST_F(PostgresServer, ThePoolHoldsTheConnectionsAskedForEachNamedForTheServer)
{
    auto opened = store::postgres::Connection::open(cluster().conninfo(database_name_));
    ASSERT_TRUE(opened) << opened.error().message;
    auto& db = **opened;
    // The connections PostgreSQL lists for the database under the server's name, opened since `since`, once the
    // one listening for other servers' changes (opened by a thread of its own as the server starts) is among them.
    const auto held_since = [&](const std::string& since) -> std::int64_t {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < give_up) {
            auto rows = db.exec("SELECT count(*), count(*) FILTER (WHERE query LIKE 'LISTEN %') FROM pg_stat_activity"
                                " WHERE datname = current_database() AND application_name = 'jobsessiond'"
                                " AND backend_start >= $1::timestamptz",
                                {store::postgres::param(since)});
            if (!rows) {
                ADD_FAILURE() << rows.error().message;
                return -1;
            }
            if (rows->int64(0, 1) == 1) {
                return rows->int64(0, 0);
            }
        }
        ADD_FAILURE() << "the server never listened for changes";
        return -1;
    };
    const auto started = [&](const std::string& pool) {
        auto now = db.exec("SELECT now()::text");
        EXPECT_TRUE(now) << now.error().message;
        const std::string since(now ? now->text(0, 0) : "");
        start(false, {"--threads", "1", "--database-pool", pool}, {{"JOBSESSIOND_DATABASE", database_}});
        EXPECT_EQ(client_->get("/health/ready").status, 200);
        EXPECT_EQ(client_->get("/api/v1/jobSessions?limit=5", admin_token()).status, 200);
        return held_since(since);
    };
    const auto with_two = started("2");
    EXPECT_GE(with_two, 2);
    // The same server with seven more pooled: seven more connections, all open once it answers.
    EXPECT_EQ(started("9"), with_two + 7);
}

TEST_F(PostgresServer, EveryKindOfRequestIsAnsweredAfterTheDatabaseEndedTheServersIdleConnections)
{
    const auto id = std::string(create(R"({"type":"HealthCheck","status":"Success"})").at("id").as_string());
    ASSERT_EQ(client_->get("/api/v1/jobSessions?Types=HealthCheck", admin_token()).status, 200);

    // As a restart of PostgreSQL, an administrator or an idle timeout would: every connection the server holds is
    // ended while idle (the pool's were all opened at start). Each request after that is answered, none fails
    // on a connection that was ended.
    EXPECT_GE(end_other_connections(cluster().conninfo(database_name_)), 3);
    const auto page = client_->get("/api/v1/jobSessions?Types=HealthCheck&limit=5", admin_token());
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(page.json().at("totalCount").as_int64(), 1);
    const auto policies = client_->get("/api/v1/policies", admin_token());
    EXPECT_EQ(policies.status, 200) << policies.body;
    EXPECT_FALSE(login(*client_, "admin", kAdminPassword).empty());
    const auto created = create(R"({"type":"PolicyBackup","status":"Success"})");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + std::string(created.at("id").as_string()), admin_token()).status,
              200);
    const auto log = client_->get("/api/v1/jobSessions/" + id + "/log?limit=10", admin_token());
    EXPECT_EQ(log.status, 200) << log.body;
}

TEST(PostgresServerCommandLine, APasswordOnTheCommandLineIsRefusedAndNeverEchoed)
{
    for (const std::string uri :
         {"postgresql://backup:s3cret-word@db.example/jobs", "postgresql://db.example/jobs?password=s3cret-word"}) {
        const auto result = run_jobsessiond({"--http", "--database", uri});
        EXPECT_NE(result.exit_code, 0);
        EXPECT_NE(result.err.find("--database must not hold a password"), std::string::npos) << result.err;
        EXPECT_EQ(result.err.find("s3cret-word"), std::string::npos) << result.err;
    }
    const auto not_postgres = run_jobsessiond({"--http", "--database", "mysql://user@db/x"});
    EXPECT_NE(not_postgres.exit_code, 0);
    EXPECT_NE(not_postgres.err.find("--database needs a postgresql:// URI"), std::string::npos) << not_postgres.err;
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

TEST_F(PostgresServer, TheMetricsShowTheDatabaseSizeAndItsCommitsAndRefuseABackupSchedule)
{
    create(R"({"type":"PolicyBackup"})");
    const auto page = client_->get("/metrics", admin_token());
    ASSERT_EQ(page.status, 200);
    // "jobsessions_store_database_bytes 7843363": pg_database_size, a number of bytes.
    const auto at = page.body.find("\njobsessions_store_database_bytes ");
    ASSERT_NE(at, std::string::npos) << page.body;
    EXPECT_GT(std::stod(page.body.substr(at + std::string("\njobsessions_store_database_bytes ").size())), 1e6);
    // The write-ahead log is the cluster's: no sample, only its HELP and TYPE.
    EXPECT_EQ(page.body.find("\njobsessions_store_wal_bytes "), std::string::npos);
    EXPECT_NE(page.body.find("\njobsessions_store_writes_per_commit_count "), std::string::npos);

    const auto scheduled = run_jobsessiond({"serve", "--backup-schedule", "0 2 * * *", "--backup-dir", dir_.path()}, "",
                                           {{"JOBSESSIOND_DATABASE", database_}});
    EXPECT_EQ(scheduled.exit_code, 2);
    EXPECT_EQ(scheduled.err, "jobsessiond: --backup-schedule backs up the SQLite store; back a PostgreSQL database up "
                             "with its own tools (pg_dump)\n");
}

} // namespace
} // namespace jobsessions::test
