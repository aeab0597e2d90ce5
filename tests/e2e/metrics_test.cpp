// SPDX-License-Identifier: Apache-2.0
// GET /metrics through the real server: the page parses as Prometheus' text format under a strict reader, counts
// move exactly with the requests a test makes, no label carries a path or an id, and who may read it.
#include "e2e/e2e_fixture.hpp"

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace jobsessions::test {
namespace {

/// One metric family and its samples, keyed by sample name and labels ("name{a="x",b="y"}", labels sorted).
struct Exposition {
    std::map<std::string, std::string> types; // family name -> counter, gauge, histogram
    std::map<std::string, double> samples;
    std::vector<std::map<std::string, std::string>> all_labels;

    [[nodiscard]] double value(const std::string& key) const
    {
        const auto it = samples.find(key);
        return it == samples.end() ? 0 : it->second;
    }
};

/// Reads the text format strictly: HELP and TYPE once per family and before its samples; names and label names
/// as the format allows; label values with only the three escapes; every sample of a declared family (a
/// histogram's as _bucket with an `le`, _sum and _count); no sample twice; counters named *_total; buckets
/// cumulative, ending in +Inf equal to _count. Fails the test on the first deviation.
Exposition parse_exposition(const std::string& text)
{
    static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
    static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
    Exposition out;
    std::set<std::string> helped;
    EXPECT_TRUE(!text.empty() && text.back() == '\n') << "the page ends with a newline";
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        SCOPED_TRACE("line " + std::to_string(number) + ": " + line);
        EXPECT_FALSE(line.empty());
        if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
            const auto rest = line.substr(7);
            const auto space = rest.find(' ');
            EXPECT_NE(space, std::string::npos);
            const auto name = rest.substr(0, space);
            EXPECT_TRUE(std::regex_match(name, kName));
            if (line.starts_with("# HELP ")) {
                EXPECT_TRUE(helped.insert(name).second) << "HELP twice";
                EXPECT_FALSE(out.types.contains(name)) << "HELP after TYPE";
            } else {
                const auto type = rest.substr(space + 1);
                EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << type;
                EXPECT_TRUE(out.types.emplace(name, type).second) << "TYPE twice";
                if (type == "counter") {
                    EXPECT_TRUE(name.ends_with("_total")) << "a counter's name ends in _total";
                }
            }
            continue;
        }
        EXPECT_NE(line[0], '#') << "no other comments";
        // name{labels} value
        std::size_t at = 0;
        while (at < line.size() && line[at] != '{' && line[at] != ' ') {
            ++at;
        }
        const auto name = line.substr(0, at);
        EXPECT_TRUE(std::regex_match(name, kName)) << name;
        std::map<std::string, std::string> labels;
        if (at < line.size() && line[at] == '{') {
            ++at;
            while (at < line.size() && line[at] != '}') {
                const auto eq = line.find('=', at);
                EXPECT_NE(eq, std::string::npos);
                const auto label = line.substr(at, eq - at);
                EXPECT_TRUE(std::regex_match(label, kLabelName)) << label;
                EXPECT_EQ(line[eq + 1], '"');
                std::string value;
                at = eq + 2;
                for (; at < line.size() && line[at] != '"'; ++at) {
                    if (line[at] == '\\') {
                        ++at;
                        EXPECT_TRUE(line[at] == '\\' || line[at] == '"' || line[at] == 'n') << "escape \\" << line[at];
                        value.push_back(line[at] == 'n' ? '\n' : line[at]);
                    } else {
                        value.push_back(line[at]);
                    }
                }
                EXPECT_LT(at, line.size()) << "an unterminated label value";
                EXPECT_TRUE(labels.emplace(label, value).second) << "label " << label << " twice";
                ++at;
                if (at < line.size() && line[at] == ',') {
                    ++at;
                }
            }
            EXPECT_LT(at, line.size());
            ++at;
        }
        EXPECT_EQ(line[at], ' ');
        const auto value_text = line.substr(at + 1);
        double value = 0;
        if (value_text == "+Inf") {
            value = INFINITY;
        } else if (value_text == "-Inf") {
            value = -INFINITY;
        } else if (value_text == "NaN") {
            value = NAN;
        } else {
            std::size_t used = 0;
            value = std::stod(value_text, &used);
            EXPECT_EQ(used, value_text.size()) << "a value and nothing after it: " << value_text;
        }
        // Its family: declared before it.
        std::string family = name;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string s = suffix;
            if (!out.types.contains(family) && name.ends_with(s) &&
                out.types.contains(name.substr(0, name.size() - s.size())) &&
                out.types.at(name.substr(0, name.size() - s.size())) == "histogram") {
                family = name.substr(0, name.size() - s.size());
            }
        }
        EXPECT_TRUE(out.types.contains(family)) << "a sample of an undeclared family: " << name;
        EXPECT_EQ(labels.contains("le"), name.ends_with("_bucket") && family != name);
        std::string key = name + "{";
        for (const auto& [label, v] : labels) {
            key += label + "=\"" + v + "\",";
        }
        key += "}";
        EXPECT_TRUE(out.samples.emplace(key, value).second) << "a sample twice: " << key;
        out.all_labels.push_back(labels);
    }
    // Histograms: buckets cumulative, +Inf equal to _count.
    for (const auto& [family, type] : out.types) {
        if (type != "histogram") {
            continue;
        }
        std::map<std::string, std::vector<std::pair<double, double>>> series; // labels without le -> (le, count)
        for (const auto& [key, value] : out.samples) {
            if (!key.starts_with(family + "_bucket{")) {
                continue;
            }
            const auto le_at = key.find("le=\"");
            const auto le_end = key.find('"', le_at + 4);
            const auto le_text = key.substr(le_at + 4, le_end - le_at - 4);
            const auto prefix = family.size() + std::string("_bucket{").size();
            const auto rest = key.substr(prefix, le_at - prefix) + key.substr(le_end + 2);
            series[rest].emplace_back(le_text == "+Inf" ? INFINITY : std::stod(le_text), value);
        }
        for (auto& [labels, buckets] : series) {
            std::sort(buckets.begin(), buckets.end());
            for (std::size_t i = 1; i < buckets.size(); ++i) {
                EXPECT_LE(buckets[i - 1].second, buckets[i].second) << family << labels;
            }
            EXPECT_TRUE(std::isinf(buckets.back().first)) << family << labels;
            EXPECT_EQ(buckets.back().second, out.value(family + "_count{" + labels)) << family << labels;
        }
    }
    return out;
}

std::string requests_key(const std::string& code, const std::string& method, const std::string& route)
{
    return "jobsessions_http_requests_total{code=\"" + code + "\",method=\"" + method + "\",route=\"" + route + "\",}";
}

class Metrics : public ServerTest {
protected:
    Exposition scrape(HttpClient& client, const std::string& token)
    {
        const auto res = client.get("/metrics", token);
        EXPECT_EQ(res.status, 200) << res.body;
        EXPECT_EQ(res.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
        return parse_exposition(res.body);
    }
};

TEST_F(Metrics, OnlyAMonitorOrAnAdministratorReadsThemOnTheMainAddress)
{
    EXPECT_EQ(client_->get("/metrics").status, 401);
    EXPECT_EQ(client_->get("/metrics", login_new_user("viewer-1", "Viewer")).status, 403);
    const auto monitor = login_new_user("monitor-1", "Monitor");
    const auto page = scrape(*client_, monitor);
    EXPECT_EQ(page.types.at("jobsessions_http_requests_total"), "counter");
    // A Monitor reads metrics and nothing else.
    EXPECT_EQ(client_->get("/api/v1/jobSessions", monitor).status, 403);
    scrape(*client_, admin_token());
}

TEST_F(Metrics, RequestCountsMoveExactlyAndNoLabelHoldsAnId)
{
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(std::string(create(R"({"type":"PolicyBackup"})").at("id").as_string()));
    }
    const auto before = scrape(*client_, admin_token());
    for (const auto& id : ids) {
        EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, admin_token()).status, 200);
    }
    EXPECT_EQ(client_->get("/api/v1/jobSessions/987654", admin_token()).status, 404);
    EXPECT_EQ(client_->get("/api/v1/no/such/thing/42", admin_token()).status, 404);
    const auto after = scrape(*client_, admin_token());

    const auto by_id = "/api/v1/jobSessions/{id}";
    EXPECT_EQ(after.value(requests_key("200", "GET", by_id)) - before.value(requests_key("200", "GET", by_id)), 3);
    EXPECT_EQ(after.value(requests_key("404", "GET", by_id)) - before.value(requests_key("404", "GET", by_id)), 1);
    EXPECT_EQ(after.value(requests_key("404", "GET", "unmatched")) -
                  before.value(requests_key("404", "GET", "unmatched")),
              1);
    const auto count_key =
        std::string("jobsessions_http_request_duration_seconds_count{method=\"GET\",route=\"") + by_id + "\",}";
    EXPECT_EQ(after.value(count_key) - before.value(count_key), 4);
    EXPECT_EQ(after.value(requests_key("201", "POST", "/api/v1/jobSessions")), 3);
    // The scrape before this one is counted too.
    EXPECT_GE(after.value(requests_key("200", "GET", "/metrics")), 1);

    // No label holds a path that was asked for, or an id (bucket bounds aside).
    for (const auto& labels : after.all_labels) {
        for (const auto& [name, value] : labels) {
            for (const auto& id : ids) {
                EXPECT_EQ(value.find("/api/v1/jobSessions/" + id), std::string::npos) << name << "=" << value;
                EXPECT_TRUE(name == "le" || value != id) << name << "=" << value;
            }
            EXPECT_EQ(value.find("/no/such/thing"), std::string::npos) << name << "=" << value;
            EXPECT_EQ(value.find("987654"), std::string::npos) << name << "=" << value;
        }
    }
    // The server and the process.
    EXPECT_EQ(after.types.at("jobsessions_build_info"), "gauge");
    bool built = false;
    for (const auto& [key, value] : after.samples) {
        if (key.starts_with("jobsessions_build_info{") && key.find("storage=\"sqlite\"") != std::string::npos &&
            key.find("version=\"") != std::string::npos) {
            built = value == 1;
        }
    }
    EXPECT_TRUE(built);
    EXPECT_GT(after.value("process_resident_memory_bytes{}"), 1e6);
    EXPECT_GT(after.value("process_open_fds{}"), 3);
    EXPECT_GT(after.value("process_max_fds{}"), after.value("process_open_fds{}"));
    EXPECT_GT(after.value("process_cpu_seconds_total{}"), 0);
    EXPECT_GE(after.value("jobsessions_http_open_connections{}"), 1); // this scrape's own
}

TEST_F(Metrics, SessionsAreCountedAsTheyFinishAndWhileTheyRun)
{
    const auto finished = R"(jobsessions_sessions_finished_total{status="Error",type="PolicyBackup",})";
    const auto running = R"(jobsessions_sessions_running{type="PolicyBackup",})";
    const auto before = scrape(*client_, admin_token());
    EXPECT_EQ(before.value(finished), 0);
    EXPECT_EQ(before.value(running), 0);
    EXPECT_EQ(before.types.at("jobsessions_session_duration_seconds"), "histogram");

    const auto first = std::string(create(R"({"type":"PolicyBackup"})").at("id").as_string());
    create(R"({"type":"PolicyBackup"})");
    create(R"({"type":"PolicyBackup","status":"Error","executionStartTime":"2026-01-01T00:00:00Z",)"
           R"("executionStopTime":"2026-01-01T00:20:00Z"})");
    auto page = scrape(*client_, admin_token());
    EXPECT_EQ(page.value(running), 2);
    EXPECT_EQ(page.value(finished), 1);
    EXPECT_EQ(page.value(R"(jobsessions_session_duration_seconds_bucket{le="900",type="PolicyBackup",})"), 0);
    EXPECT_EQ(page.value(R"(jobsessions_session_duration_seconds_bucket{le="1800",type="PolicyBackup",})"), 1);
    EXPECT_EQ(page.value(R"(jobsessions_session_duration_seconds_sum{type="PolicyBackup",})"), 1200);

    const auto ended =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + first, R"({"status":"Error"})", admin_token());
    ASSERT_EQ(ended.status, 200) << ended.body;
    page = scrape(*client_, admin_token());
    EXPECT_EQ(page.value(running), 1);
    EXPECT_EQ(page.value(finished), 2);
    EXPECT_EQ(page.value(R"(jobsessions_session_duration_seconds_count{type="PolicyBackup",})"), 2);
}

TEST_F(Metrics, ASeparateAddressServesThemWithoutAToken)
{
    start(false, {"--metrics-listen", "127.0.0.1:0"});
    const auto log = server_->stderr_text();
    const std::regex line("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics, without a token");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(log, match, line)) << log;
    HttpClient scraper(std::stoi(match[1]));
    const auto res = scraper.get("/metrics");
    ASSERT_EQ(res.status, 200) << res.body;
    const auto page = parse_exposition(res.body);
    EXPECT_TRUE(page.types.contains("process_cpu_seconds_total"));
    // Nothing else is served there (neither the console nor, under any other path, the API).
    EXPECT_EQ(scraper.get("/").status, 404);
    EXPECT_EQ(scraper.get("/sessions").status, 404);
    // And the main address still wants a token.
    EXPECT_EQ(client_->get("/metrics").status, 401);
}

TEST(MetricsCommandLine, ABadMetricsAddressIsNamed)
{
    TempDir dir;
    const auto result = run_jobsessiond(
        {"serve", "--http", "--listen", "127.0.0.1:0", "--data-dir", dir.file("data"), "--metrics-listen", "nowhere"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.err, "jobsessiond: --metrics-listen needs HOST:PORT, not 'nowhere'\n");
}

TEST_F(Metrics, TlsHandshakesAreCounted)
{
    start(true);
    const auto page = scrape(*client_, admin_token());
    EXPECT_GE(page.value("jobsessions_tls_handshakes_total{result=\"completed\",}"), 1);
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

TEST_F(Metrics, AnAnswerThatWaitedForEventsIsCountedButItsWaitIsNoLatency)
{
    const auto route = std::string("route=\"/api/v1/jobSessions/changes\",}");
    const auto requests = requests_key("200", "GET", "/api/v1/jobSessions/changes");
    const auto durations = "jobsessions_http_request_duration_seconds_count{method=\"GET\"," + route;
    const auto before = scrape(*client_, admin_token());
    // A long poll that waits out its second: nothing changes meanwhile.
    const auto highest = client_->get("/api/v1/jobSessions/changes?limit=1", admin_token()).json().at("usn");
    ASSERT_EQ(
        client_->get("/api/v1/jobSessions/changes?wait=1&usn=" + std::to_string(highest.as_int64()), admin_token())
            .status,
        200);
    const auto after = scrape(*client_, admin_token());
    EXPECT_EQ(after.value(requests) - before.value(requests), 2);
    EXPECT_EQ(after.value(durations) - before.value(durations), 1);
}

TEST_F(Metrics, TheStoreShowsItsCommitsAndSizeAndTheRunnerItsChildren)
{
    const auto before = scrape(*client_, admin_token());
    const auto commits_before = before.value("jobsessions_store_writes_per_commit_count{}");
    for (int i = 0; i < 3; ++i) {
        create(R"({"type":"PolicyBackup"})");
    }
    // A policy whose command runs until stopped: one child while it runs.
    const auto policy = client_->send_json(
        "POST", "/api/v1/policies", R"({"name":"waits","stopGraceSeconds":1,"command":["sleep","60"]})", admin_token());
    ASSERT_EQ(policy.status, 201) << policy.body;
    const auto run =
        client_->send_json("POST", "/api/v1/policies/" + str(policy.json(), "id") + "/start", "", admin_token());
    ASSERT_EQ(run.status, 202) << run.body;

    auto page = scrape(*client_, admin_token());
    EXPECT_EQ(page.value("jobsessions_runner_children{}"), 1);
    // Three creations, the policy and the run: each write committed, in as many batches or fewer.
    const auto writes = page.value("jobsessions_store_writes_per_commit_sum{}") -
                        before.value("jobsessions_store_writes_per_commit_sum{}");
    EXPECT_GE(writes, 5);
    EXPECT_GE(page.value("jobsessions_store_writes_per_commit_count{}") - commits_before, 1);
    EXPECT_LE(page.value("jobsessions_store_writes_per_commit_count{}") - commits_before, writes);
    EXPECT_EQ(page.value("jobsessions_store_commit_duration_seconds_count{}"),
              page.value("jobsessions_store_writes_per_commit_count{}"));
    // Whole pages of SQLite's (4 KiB): the file as it is, which a checkpoint may grow at any moment.
    EXPECT_GT(page.value("jobsessions_store_database_bytes{}"), 0);
    EXPECT_EQ(std::fmod(page.value("jobsessions_store_database_bytes{}"), 4096), 0);
    EXPECT_EQ(page.types.at("jobsessions_store_wal_bytes"), "gauge");

    const auto stopped =
        client_->send_json("POST", "/api/v1/jobSessions/" + str(run.json(), "id") + "/stop", "", admin_token());
    ASSERT_EQ(stopped.status, 200) << stopped.body;
    for (int round = 0; round < 100 && scrape(*client_, admin_token()).value("jobsessions_runner_children{}") > 0;
         ++round) {
        wait_for_change();
    }
    EXPECT_EQ(scrape(*client_, admin_token()).value("jobsessions_runner_children{}"), 0);
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

class PolicyMetrics : public Metrics {
protected:
    /// Defines a policy running `command` and returns its id.
    std::string define(const std::string& name, const std::string& command)
    {
        const auto res = client_->send_json("POST", "/api/v1/policies",
                                            R"({"name":")" + name + R"(","command":)" + command + "}", admin_token());
        EXPECT_EQ(res.status, 201) << res.body;
        return str(res.json(), "id");
    }

    /// Runs a policy once and waits for its session to end.
    void run(const std::string& policy)
    {
        const auto started = client_->send_json("POST", "/api/v1/policies/" + policy + "/start", "", admin_token());
        ASSERT_EQ(started.status, 202) << started.body;
        const auto id = str(started.json(), "id");
        for (int round = 0; round < 100; ++round) {
            const auto status = str(client_->get("/api/v1/jobSessions/" + id, admin_token()).json(), "status");
            if (status != "Running" && status != "Pending") {
                return;
            }
            wait_for_change();
        }
        ADD_FAILURE() << "the run of " << policy << " did not end";
    }
};

TEST_F(PolicyMetrics, AreOffUnlessAskedAndThenCappedAndKeptAcrossARestart)
{
    EXPECT_FALSE(scrape(*client_, admin_token()).types.contains("jobsessions_policy_last_status"));

    start(false, {"--policy-metrics", "2"});
    admin_token_.clear();
    const auto ok = define("a-ok", R"(["true"])");
    const auto fails = define("b-fails", R"(["false"])");
    define("c-left-out", R"(["true"])");
    const auto before_runs = std::chrono::system_clock::now();
    run(ok);
    run(fails);
    // A tick the scheduler could not run, as it records one: NeverExecuted, with the policy's backupJobInfo.
    const auto missed =
        client_->send_json("POST", "/api/v1/jobSessions",
                           R"({"type":"PolicyBackup","status":"NeverExecuted","backupJobInfo":{"policyId":")" + ok +
                               R"(","policyName":"a-ok"}})",
                           admin_token());
    ASSERT_EQ(missed.status, 201) << missed.body;

    const auto check = [&](const Exposition& page, double missed_runs) {
        const auto succeeded = page.value(R"(jobsessions_policy_last_success_timestamp_seconds{policy="a-ok",})");
        EXPECT_GE(succeeded, std::chrono::duration<double>(before_runs.time_since_epoch()).count() - 1);
        EXPECT_EQ(page.value(R"(jobsessions_policy_last_success_timestamp_seconds{policy="b-fails",})"), 0);
        EXPECT_EQ(page.value(R"(jobsessions_policy_last_status{policy="b-fails",status="Error",})"), 1);
        EXPECT_EQ(page.value(R"(jobsessions_policy_last_status{policy="b-fails",status="Success",})"), 0);
        EXPECT_TRUE(page.samples.contains(R"(jobsessions_policy_last_status{policy="a-ok",status="Success",})"));
        EXPECT_EQ(page.value(R"(jobsessions_policy_runs_missed_total{policy="a-ok",})"), missed_runs);
        EXPECT_EQ(page.value("jobsessions_policy_metrics_omitted{}"), 1);
        for (const auto& [key, value] : page.samples) {
            EXPECT_EQ(key.find("c-left-out"), std::string::npos) << key;
        }
    };
    auto page = scrape(*client_, admin_token());
    // The newest finished run of a-ok is the NeverExecuted one the test recorded.
    EXPECT_EQ(page.value(R"(jobsessions_policy_last_status{policy="a-ok",status="NeverExecuted",})"), 1);
    check(page, 1);

    // After a restart the newest runs come from the store; the missed count starts again.
    start(false, {"--policy-metrics", "2"});
    admin_token_.clear();
    page = scrape(*client_, admin_token());
    check(page, 0);

    // The alert rules shipped in dist/prometheus name only metrics this server has.
    const auto rules = YAML::LoadFile(std::string(JOBSESSIONS_DIST_DIR) + "/prometheus/jobsessions-alerts.yml");
    std::size_t alerts = 0;
    for (const auto& group : rules["groups"]) {
        for (const auto& rule : group["rules"]) {
            ++alerts;
            const auto expr = rule["expr"].as<std::string>();
            const std::regex metric_name(R"(jobsessions_[a-z_]+)");
            for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric_name); it != std::sregex_iterator();
                 ++it) {
                const auto name = it->str();
                EXPECT_TRUE(page.types.contains(name)) << rule["alert"].as<std::string>() << " names " << name;
            }
        }
    }
    EXPECT_EQ(alerts, 5U);
}

} // namespace
} // namespace jobsessions::test
