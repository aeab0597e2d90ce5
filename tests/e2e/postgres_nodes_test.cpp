// SPDX-License-Identifier: Apache-2.0
// Two jobsessiond nodes on one PostgreSQL database behave like one server: what is written through one is read at
// once through the other (a page one node answers from memory too), followers and long polls on one wake for writes
// made on the other, one node schedules, and the runs of a node killed mid-run are ended by the other, which takes
// over scheduling.
#include "jobsessions/store/postgres/connection.hpp"
#include "jobsessions/util/time.hpp"

#include "e2e/e2e_fixture.hpp"
#include "support/gunzip.hpp"
#include "support/haproxy_process.hpp"
#include "support/postgres_cluster.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <tuple>

namespace jobsessions::test {
namespace {

using namespace std::chrono_literals;

/// One node: its server process, data directory and client.
struct Node {
    TempDir dir;
    std::unique_ptr<ServerProcess> server;
    std::unique_ptr<HttpClient> client;
};

class PostgresNodes : public ::testing::Test {
protected:
    static void SetUpTestSuite() { suite_cluster = std::make_unique<PostgresCluster>(); }
    static void TearDownTestSuite() { suite_cluster.reset(); }

    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string name = std::string("nodes_") + info->name();
        suite_cluster->create_database(name);
        database_ = "postgresql:///" + name + "?host=" + suite_cluster->socket_directory() + "&user=postgres";
        // a first: it takes the scheduling lease.
        start(a_, "node-a");
        start(b_, "node-b");
        token_ = login(*a_.client, "admin", kAdminPassword);
    }

    void start(Node& node, const std::string& name, std::vector<std::string> args = {})
    {
        node.client.reset();
        node.server.reset();
        args.insert(args.begin(), {"--node-name", name});
        node.server = std::make_unique<ServerProcess>(
            ServerOptions{node.dir.file("data"), false, std::move(args), {{"JOBSESSIOND_DATABASE", database_}}});
        node.client = std::make_unique<HttpClient>(*node.server);
    }

    boost::json::object create(Node& node, const std::string& body)
    {
        const auto res = node.client->send_json("POST", "/api/v1/jobSessions", body, token_);
        EXPECT_EQ(res.status, 201) << res.body;
        return res.json().as_object();
    }

    std::string define_policy(const std::string& members)
    {
        const auto res = a_.client->send_json("POST", "/api/v1/policies", "{" + members + "}", token_);
        EXPECT_EQ(res.status, 201) << res.body;
        return str(res.json(), "id");
    }

    boost::json::array sessions_of(Node& node, const std::string& policy)
    {
        return node.client->get("/api/v1/jobSessions?Limit=100&PolicyId=" + policy, token_)
            .json()
            .at("results")
            .as_array();
    }

    /// Waits, woken by `node`'s change feed (never sleeping), until `done` holds.
    void wait_until(Node& node, const std::function<bool()>& done, std::chrono::seconds limit, const char* what)
    {
        std::int64_t usn = 0;
        const auto give_up = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() > give_up) {
                ADD_FAILURE() << "gave up waiting: " << what;
                return;
            }
            const auto res =
                node.client->get("/api/v1/jobSessions/changes?limit=1000&wait=5&usn=" + std::to_string(usn), token_);
            ASSERT_EQ(res.status, 200) << res.body;
            usn = res.json().at("usn").as_int64();
        }
    }

    static inline std::unique_ptr<PostgresCluster> suite_cluster;
    std::string database_;
    Node a_;
    Node b_;
    std::string token_;
};

TEST_F(PostgresNodes, AWriteThroughOneNodeIsReadAtOnceThroughTheOther)
{
    EXPECT_EQ(str(a_.client->get("/api/v1/system/about").json(), "node"), "node-a");
    EXPECT_EQ(str(b_.client->get("/api/v1/system/about").json(), "node"), "node-b");

    // The token node a issued works on node b: the signing key is shared.
    const auto id = str(create(a_, R"({"type":"PolicyBackup","status":"Running"})"), "id");
    for (int round = 0; round < 20; ++round) {
        Node& writer = round % 2 == 0 ? a_ : b_;
        Node& reader = round % 2 == 0 ? b_ : a_;
        // Read through the other node right after the write was acknowledged: never the old version.
        const auto log = writer.client->send_json(
            "POST", "/api/v1/jobSessions/" + id + "/log",
            R"({"status":"Success","message":"round )" + std::to_string(round) + R"("})", token_);
        ASSERT_EQ(log.status, 201) << log.body;
        const auto entries = reader.client->get("/api/v1/jobSessions/" + id + "/log", token_).json().at("log");
        EXPECT_EQ(entries.as_array().size(), static_cast<std::size_t>(round + 1));
        // A page of the log, read on the node's event loop.
        const auto page =
            reader.client
                ->get("/api/v1/jobSessions/" + id + "/log?offset=" + std::to_string(round) + "&limit=5", token_)
                .json()
                .at("log")
                .as_array();
        ASSERT_EQ(page.size(), 1U);
        EXPECT_EQ(str(page[0], "message"), "round " + std::to_string(round));
    }
    for (const auto& [writer, reader, status] : {std::tuple{&a_, &b_, "Canceling"}, std::tuple{&b_, &a_, "Warning"}}) {
        const auto usn = reader->client->get("/api/v1/jobSessions/" + id, token_).json().at("usn").as_int64();
        const auto changed = writer->client->send_json("PATCH", "/api/v1/jobSessions/" + id,
                                                       std::string(R"({"status":")") + status + "\"}", token_);
        ASSERT_EQ(changed.status, 200) << changed.body;
        const auto after = reader->client->get("/api/v1/jobSessions/" + id, token_).json();
        EXPECT_GT(after.at("usn").as_int64(), usn);
        EXPECT_EQ(str(after, "status"), status);
        const auto listed = reader->client->get("/api/v1/jobSessions?Limit=5", token_).json();
        EXPECT_EQ(str(listed.at("results").as_array().at(0), "status"), status);
    }

    // A refresh token is single-use across the nodes.
    const auto grant =
        a_.client->post_form("/api/oauth2/token", std::string("username=admin&password=") + kAdminPassword);
    ASSERT_EQ(grant.status, 200);
    const auto refresh = str(grant.json(), "refresh_token");
    EXPECT_EQ(b_.client->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh).status,
              200);
    EXPECT_EQ(a_.client->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh).status,
              401);
}

TEST_F(PostgresNodes, APageAnsweredFromMemoryShowsEveryWriteMadeThroughTheOtherNode)
{
    // Finished sessions: their bodies are kept, and so are whole pages of them.
    for (int i = 0; i < 60; ++i) {
        create(a_, R"({"type":"PolicyBackup","status":"Success"})");
    }
    const std::string page = "/api/v1/jobSessions?Types=PolicyBackup&limit=50"; // over 16 KB: compressed
    const auto get = [&](Node& node, const std::string& token) {
        auto res = node.client->get(page, token);
        EXPECT_EQ(res.status, 200) << res.body;
        return res;
    };
    // Listed once: on a store that keeps a version of its sessions, a page is kept whole the first time it is listed.
    const std::string kept = get(b_, token_).body;
    const auto listed = boost::json::parse(kept);
    ASSERT_EQ(listed.at("results").as_array().size(), 50U);
    ASSERT_EQ(listed.at("totalCount").as_int64(), 60);

    // Kept at the sessions' version, the page is answered from memory while the version stays. A session deleted
    // behind the servers' back (no server wrote it: the version stays) shows that: listed anew, the page would
    // lose it.
    const auto newest = str(listed.at("results").as_array().at(0), "id");
    {
        auto db = store::postgres::Connection::open(database_);
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_TRUE((*db)->exec(("DELETE FROM sessions WHERE id = " + newest).c_str()));
    }
    EXPECT_EQ(get(b_, token_).body, kept) << "the page was listed anew";
    // Compressed for a client that takes it, byte for byte the same page.
    const auto gzipped =
        b_.client->request("GET", page, "", {{"Authorization", "Bearer " + token_}, {"Accept-Encoding", "gzip"}});
    ASSERT_EQ(gzipped.status, 200);
    EXPECT_EQ(gzipped.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gunzip(gzipped.body), kept);

    // Every write through node a moves the version: node b lists the page anew at once, and keeps it again.
    auto total = listed.at("totalCount").as_int64();
    for (int round = 0; round < 5; ++round) {
        const auto created = str(create(a_, R"({"type":"PolicyBackup","status":"Error"})"), "id");
        for (int ask = 0; ask < 4; ++ask) {
            const auto now = get(b_, token_).json();
            EXPECT_EQ(str(now.at("results").as_array().at(0), "id"), created) << "round " << round << ", ask " << ask;
            EXPECT_EQ(now.at("totalCount").as_int64(), total + 1);
            EXPECT_EQ(now.at("results").as_array().size(), 50U);
        }
        ++total;
    }
    // An agent asking for the same page sees its own sessions only, never the page kept for the administrator.
    const auto added = run_jobsessiond({"user", "add", "agent", "--role", "Agent"}, "agent-password\n",
                                       {{"JOBSESSIOND_DATABASE", database_}});
    ASSERT_EQ(added.exit_code, 0) << added.err;
    const auto agent = login(*b_.client, "agent", "agent-password");
    for (int ask = 0; ask < 4; ++ask) {
        const auto own = get(b_, agent).json();
        EXPECT_EQ(own.at("totalCount").as_int64(), 0);
        EXPECT_TRUE(own.at("results").as_array().empty());
    }
    // Nor the log of a session it did not create, nor one that is not there.
    const auto other = str(listed.at("results").as_array().at(1), "id");
    EXPECT_EQ(b_.client->get("/api/v1/jobSessions/" + other + "/log?limit=10", token_).status, 200);
    const auto refused = b_.client->get("/api/v1/jobSessions/" + other + "/log?limit=10", agent);
    EXPECT_EQ(refused.status, 404) << refused.body;
    EXPECT_EQ(refused.header("Content-Type"), "application/problem+json; charset=utf-8");
    EXPECT_EQ(b_.client->get("/api/v1/jobSessions/" + newest + "/log?limit=10", token_).status, 404);
}

// A page deep in the list is placed by the counts it passes over, which a node keeps by the sessions' version:
// every write made through the other node shows in it at once.
TEST_F(PostgresNodes, ADeepPageShowsEveryWriteMadeThroughTheOtherNode)
{
    // Over 2,000 sessions, three an hour over a month: deeper than pages placed from their offset alone.
    constexpr int kSessions = 2'100;
    const util::Micros first = 1'770'000'000'000'000;
    const util::Micros step = 1'200'000'000; // 20 minutes
    const auto create_at = [&](util::Micros start, bool running) {
        const std::string stop =
            running ? "" : R"(,"executionStopTime":")" + util::format_timestamp(start + 60'000'000) + '"';
        return str(create(a_, R"({"type":"PolicyBackup","status":")" + std::string(running ? "Running" : "Success") +
                                  R"(","executionStartTime":")" + util::format_timestamp(start) + '"' + stop + "}"),
                   "id");
    };
    for (int i = 0; i < kSessions; ++i) {
        create_at(first + i * step, i % 7 == 0);
    }
    const std::string deep = "/api/v1/jobSessions?limit=30&offset=2040";
    const auto page_at = [&](Node& node) {
        const auto res = node.client->get(deep, token_);
        EXPECT_EQ(res.status, 200) << res.body;
        return res.json().as_object();
    };
    const auto ids = [](const boost::json::object& page) {
        std::vector<std::string> all;
        for (const auto& s : page.at("results").as_array()) {
            all.push_back(str(s, "id"));
        }
        return all;
    };
    // Listed twice on node b: the second time from the counts it kept.
    const auto before = page_at(b_);
    EXPECT_EQ(before.at("totalCount").as_int64(), kSessions);
    ASSERT_EQ(ids(before).size(), 30U);
    EXPECT_EQ(ids(page_at(b_)), ids(before));

    // A session newer than the page, made through node a, moves the page by one.
    create_at(first + kSessions * step, false);
    const auto after = page_at(b_);
    EXPECT_EQ(after.at("totalCount").as_int64(), kSessions + 1);
    const auto now = ids(after);
    const auto was = ids(before);
    ASSERT_EQ(now.size(), 30U);
    EXPECT_EQ(std::vector<std::string>(now.begin() + 1, now.end()),
              std::vector<std::string>(was.begin(), was.end() - 1));
    EXPECT_EQ(ids(page_at(b_)), now);

    // A running session of the page that ends through node a shows ended in the page node b lists.
    std::string running;
    for (const auto& s : after.at("results").as_array()) {
        if (str(s, "status") == "Running") {
            running = str(s, "id");
        }
    }
    ASSERT_FALSE(running.empty());
    const auto ended =
        a_.client->send_json("PATCH", "/api/v1/jobSessions/" + running, R"({"status":"Success"})", token_);
    ASSERT_EQ(ended.status, 200) << ended.body;
    bool shown = false;
    const auto ended_page = page_at(b_);
    for (const auto& s : ended_page.at("results").as_array()) {
        if (str(s, "id") == running) {
            EXPECT_EQ(str(s, "status"), "Success");
            shown = true;
        }
    }
    EXPECT_TRUE(shown);
}

TEST_F(PostgresNodes, FollowersAndLongPollsOnOneNodeWakeForWritesOnTheOther)
{
    const auto id = str(create(a_, R"({"type":"PolicyBackup","status":"Running"})"), "id");
    const std::string follow = "GET /api/v1/jobSessions/" + id +
                               "/log HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
                               token_ + "\r\n\r\n";
    StreamReader follower(*b_.server, follow);
    follower.read_until([](const std::string& r) { return r.find("event: status") != std::string::npos; }, 10s);

    // Well within the follower's 15 s heartbeat: it was woken by the write on node a.
    const auto appended = a_.client->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                               R"({"status":"Success","message":"written on node a"})", token_);
    ASSERT_EQ(appended.status, 201);
    const auto started = std::chrono::steady_clock::now();
    follower.read_until([](const std::string& r) { return r.find("written on node a") != std::string::npos; }, 10s);
    EXPECT_NE(follower.received().find("written on node a"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);

    // A long poll on node b past the newest usn returns with a session created on node a.
    const auto now = b_.client->get("/api/v1/jobSessions/changes?usn=0&limit=1000", token_).json();
    const auto usn = now.at("usn").as_int64();
    auto poll = std::async(std::launch::async, [&] {
        HttpClient client(*b_.server);
        const auto asked = std::chrono::steady_clock::now();
        auto res = client.get("/api/v1/jobSessions/changes?wait=30&usn=" + std::to_string(usn), token_);
        return std::pair{res, std::chrono::steady_clock::now() - asked};
    });
    // The poll is waiting when the write is made: a write before it would answer it at once, just as well.
    const auto created = str(create(a_, R"({"type":"PolicyBackup","status":"Running"})"), "id");
    const auto [res, took] = poll.get();
    ASSERT_EQ(res.status, 200) << res.body;
    const auto results = res.json().at("results").as_array();
    ASSERT_EQ(results.size(), 1U) << res.body;
    EXPECT_EQ(str(results[0], "id"), created);
    EXPECT_LT(took, 10s);
}

TEST_F(PostgresNodes, AStopAskedThroughOneNodeStopsTheRunOnTheOther)
{
    const auto policy = define_policy(R"("name":"long","stopGraceSeconds":1,"command":["sleep","600"])");
    const auto started = a_.client->send_json("POST", "/api/v1/policies/" + policy + "/start", "", token_);
    ASSERT_EQ(started.status, 202) << started.body;
    const auto id = str(started.json(), "id");
    // The run is node a's; the stop goes to node b.
    const auto stopped = b_.client->send_json("POST", "/api/v1/jobSessions/" + id + "/stop", "", token_);
    ASSERT_EQ(stopped.status, 200) << stopped.body;
    wait_until(
        b_, [&] { return str(b_.client->get("/api/v1/jobSessions/" + id, token_).json(), "status") == "Canceled"; },
        30s, "the run stopped by node a");
}

TEST_F(PostgresNodes, ARunOnOneNodeCountsAgainstItsPolicyOnTheOther)
{
    // maxConcurrentRuns is 1 by default.
    const auto policy = define_policy(R"("name":"one at a time","stopGraceSeconds":1,"command":["sleep","600"])");
    const auto path = "/api/v1/policies/" + policy;
    const Headers auth{{"Authorization", "Bearer " + token_}};
    const auto first = a_.client->send_json("POST", path + "/start", "", token_);
    ASSERT_EQ(first.status, 202) << first.body;
    const auto first_id = str(first.json(), "id");
    const auto refused = b_.client->send_json("POST", path + "/start", "", token_);
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("maxConcurrentRuns"), std::string::npos) << refused.body;
    const auto kept = b_.client->request("DELETE", path, "", auth);
    EXPECT_EQ(kept.status, 409) << kept.body;
    EXPECT_NE(kept.body.find("1 run(s) going on"), std::string::npos) << kept.body;

    // Once node a's run has ended, node b may start the next one at once.
    ASSERT_EQ(b_.client->send_json("POST", "/api/v1/jobSessions/" + first_id + "/stop", "", token_).status, 200);
    wait_until(
        b_,
        [&] { return str(b_.client->get("/api/v1/jobSessions/" + first_id, token_).json(), "status") == "Canceled"; },
        30s, "node a's run stopped");
    const auto second = b_.client->send_json("POST", path + "/start", "", token_);
    ASSERT_EQ(second.status, 202) << second.body;
    const auto second_id = str(second.json(), "id");
    EXPECT_EQ(a_.client->send_json("POST", path + "/start", "", token_).status, 409);

    // Deleted with force through node a, the policy's run on node b is stopped by node b, and the deletion answers
    // once it has, as it does for a run of its own server.
    EXPECT_EQ(a_.client->request("DELETE", path + "?force=true", "", auth).status, 204);
    EXPECT_EQ(str(a_.client->get("/api/v1/jobSessions/" + second_id, token_).json(), "status"), "Canceled");
    const auto log = a_.client->get("/api/v1/jobSessions/" + second_id + "/log", token_);
    EXPECT_NE(log.body.find("the policy was deleted"), std::string::npos) << log.body;
}

TEST_F(PostgresNodes, AClientThroughHaproxyKeepsWorkingWhileANodeIsKilledAndRestarted)
{
    TempDir proxy_dir;
    HaproxyProcess proxy(proxy_dir.path(), {a_.server->port(), b_.server->port()});
    HttpClient client(proxy.port());
    const int port_a = a_.server->port();
    constexpr int kWrites = 120;
    std::set<std::string> created;
    int client_retries = 0;
    for (int i = 0; i < kWrites; ++i) {
        if (i == 40) {
            a_.server->kill9();
        }
        if (i == 80) {
            // Back on its port, where the load balancer looks for it.
            start(a_, "node-a", {"--listen", "127.0.0.1:" + std::to_string(port_a)});
        }
        // Every write carries its own Idempotency-Key; a write retried (by haproxy or here) is done once.
        const Headers key{{"Idempotency-Key", "write-" + std::to_string(i)}};
        HttpResponse res;
        for (int attempt = 0; attempt < 5 && res.status != 201; ++attempt) {
            client_retries += attempt > 0 ? 1 : 0;
            try {
                res = client.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token_, key);
            } catch (const std::exception&) {
                client.disconnect();
                res.status = 0;
            }
        }
        ASSERT_EQ(res.status, 201) << "write " << i << ": " << res.body << proxy.output();
        created.insert(str(res.json(), "id"));
    }
    EXPECT_EQ(created.size(), static_cast<std::size_t>(kWrites));
    EXPECT_LE(client_retries, 5) << "haproxy retried the others itself";
    // The database holds one session per write, whichever node did it.
    const auto listed = b_.client->get("/api/v1/jobSessions?Limit=1", token_).json();
    EXPECT_EQ(listed.at("totalCount").as_int64(), kWrites);

    // The restarted node serves again through the load balancer once its health check passes.
    std::set<std::string> answered_by;
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (answered_by.size() < 2 && std::chrono::steady_clock::now() < give_up) {
        const auto about = client.get("/api/v1/system/about");
        ASSERT_EQ(about.status, 200) << about.body;
        answered_by.insert(str(about.json(), "node"));
    }
    EXPECT_EQ(answered_by, (std::set<std::string>{"node-a", "node-b"}));
}

// A newer server upgraded the database past this build's schema (as the first node of a rolling upgrade does): each
// node finds it when the upgrade is announced, or at its next renewal, and answers 503 to every request that reads or
// writes the database, readiness included, so that a load balancer takes it out, and neither schedules. What needs no
// database still answers.
TEST_F(PostgresNodes, NodesThatANewerServerUpgradedPastServeNothingAndStopScheduling)
{
    // Node b also serves its metrics on an address of their own, for a scraper.
    start(b_, "node-b", {"--metrics-listen", "127.0.0.1:0"});
    std::smatch match;
    const auto b_log = b_.server->stderr_text();
    ASSERT_TRUE(std::regex_search(b_log, match, std::regex("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics")))
        << b_log;
    HttpClient scraper(std::stoi(match[1]));
    EXPECT_EQ(scraper.get("/metrics").status, 200);
    const auto id = str(create(a_, R"({"type":"PolicyBackup"})"), "id");
    auto db = store::postgres::Connection::open(database_);
    ASSERT_TRUE(db) << db.error().message;
    const auto scheduler_leases = [&db] {
        auto rows = (*db)->exec("SELECT count(*) FROM leases WHERE name = 'scheduler'"
                                " AND expires_at > clock_timestamp()");
        EXPECT_TRUE(rows) << rows.error().message;
        return rows ? rows->int64(0, 0) : -1;
    };
    EXPECT_EQ(scheduler_leases(), 1);
    // As a newer server's migration step records and announces itself.
    ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations (version) SELECT max(version) + 1 FROM schema_migrations"));
    ASSERT_TRUE((*db)->exec("SELECT pg_notify('jobsessions_changes', 'schema')"));

    for (Node* node : {&a_, &b_}) {
        // Long polls of a second each (the server waits, not the test), until the node refuses one.
        const auto give_up = std::chrono::steady_clock::now() + 20s;
        HttpResponse res;
        std::int64_t usn = 0;
        do {
            res = node->client->get("/api/v1/jobSessions/changes?wait=1&usn=" + std::to_string(usn), token_);
            if (res.status == 200) {
                usn = res.json().at("usn").as_int64();
            }
        } while (res.status == 200 && std::chrono::steady_clock::now() < give_up);
        ASSERT_EQ(res.status, 503) << res.body;
        EXPECT_EQ(res.header("Content-Type"), "application/problem+json; charset=utf-8");
        EXPECT_NE(res.body.find("upgraded the database to schema version"), std::string::npos) << res.body;
        EXPECT_EQ(node->client->get("/health/ready").status, 503);
        EXPECT_EQ(node->client->get("/api/v1/jobSessions/" + id, token_).status, 503);
        EXPECT_EQ(node->client->get("/api/v1/jobSessions?limit=5", token_).status, 503);
        EXPECT_EQ(node->client->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token_).status,
                  503);
        EXPECT_EQ(node->client
                      ->post_form("/api/oauth2/token",
                                  "grant_type=password&username=admin&password=" + std::string(kAdminPassword))
                      .status,
                  503);
        EXPECT_EQ(node->client->get("/api/v1/system/about").status, 200);
    }
    // The scraper sees node b down, with the reason, rather than figures read from a store it no longer knows.
    const auto scrape = scraper.get("/metrics");
    EXPECT_EQ(scrape.status, 503);
    EXPECT_EQ(scrape.header("Content-Type"), "application/problem+json; charset=utf-8");
    EXPECT_NE(scrape.body.find("upgraded the database to schema version"), std::string::npos) << scrape.body;
    // Each node steps out of scheduling once it found the upgrade (at once when announced): the lease is given up,
    // and the log says why.
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while ((scheduler_leases() != 0 || a_.server->stderr_text().find("upgrade this server") == std::string::npos) &&
           std::chrono::steady_clock::now() < give_up) {
    }
    EXPECT_EQ(scheduler_leases(), 0);
    EXPECT_NE(a_.server->stderr_text().find("upgrade this server"), std::string::npos) << a_.server->stderr_text();
    // Nothing was written after the upgrade: the one session is all there is.
    auto sessions = (*db)->exec("SELECT count(*) FROM sessions");
    ASSERT_TRUE(sessions) << sessions.error().message;
    EXPECT_EQ(sessions->int64(0, 0), 1);
}

// Takes about four minutes: cron's smallest step is a minute, and a node's lease runs for fifteen seconds.
TEST_F(PostgresNodes, OneNodeSchedulesEachTickOnceAndTheOtherTakesOverWhenItIsKilledMidRun)
{
    const auto quick = define_policy(R"("name":"minutely","schedule":"* * * * *","command":["true"])");
    const auto slow = define_policy(R"("name":"long","schedule":"* * * * *","command":["sleep","600"])");

    // Two ticks with both nodes up: each tick is one session of the quick policy.
    wait_until(
        b_, [&] { return sessions_of(b_, quick).size() >= 2; }, 150s, "two ticks of the quick policy");
    const auto long_runs = sessions_of(b_, slow);
    ASSERT_FALSE(long_runs.empty());
    const auto orphan = str(long_runs.back(), "id"); // the first run, still going on
    EXPECT_EQ(str(long_runs.back(), "status"), "Running");

    // The leader dies mid-run; node b takes over scheduling and ends the run node a left.
    a_.server->kill9();
    wait_until(
        b_, [&] { return str(b_.client->get("/api/v1/jobSessions/" + orphan, token_).json(), "status") == "Error"; },
        60s, "the orphaned run ended");
    const auto log = b_.client->get("/api/v1/jobSessions/" + orphan + "/log", token_).json().at("log").as_array();
    EXPECT_EQ(str(log.back(), "message"), "The node running this session (node-a) stopped; node node-b ended the run.");

    // Node b schedules the next ticks.
    const auto before = sessions_of(b_, quick).size();
    wait_until(
        b_, [&] { return sessions_of(b_, quick).size() > before; }, 100s, "a tick scheduled by node b");

    // Never two sessions for one tick.
    std::map<std::string, int> per_tick;
    for (const auto& s : sessions_of(b_, quick)) {
        ++per_tick[str(s, "executionStartTime").substr(0, 16)];
    }
    for (const auto& [tick, count] : per_tick) {
        EXPECT_EQ(count, 1) << tick;
    }
    EXPECT_GE(per_tick.size(), 3U);
}

} // namespace
} // namespace jobsessions::test
