// SPDX-License-Identifier: Apache-2.0
// Lists, counts and cursors: part of the store contract, run against every backend.
#include "jobsessions/service/session_service.hpp"
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/sqlite/sqlite_store.hpp"
#include "jobsessions/store/store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <random>
#include <sstream>
#include <thread>

namespace jobsessions::store {
namespace {

using domain::SessionStatus;
using domain::SessionType;

constexpr util::Micros kDay = 86'400 * util::kMicrosPerSecond;
constexpr util::Micros kBase = 1'600'000'000LL * util::kMicrosPerSecond; // 2020-09-13
constexpr util::Micros kMinute = 60 * util::kMicrosPerSecond;
constexpr util::Micros kHour = 60 * kMinute;
// The busy hours of import_busy_hours: two hours before a midnight into the next day; the busiest a little later.
constexpr util::Micros kBusy = kBase + 4 * kDay + 22 * kHour;
constexpr util::Micros kBusiest = kBusy + kHour + 10 * kMinute;

struct Row {
    SessionType type;
    SessionStatus status;
    util::Micros start;
    std::string policy;
    std::int64_t creator;
    std::string policy_name{}; // empty: "Nightly <policy>"
};

class SessionList : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = sqlite::SqliteStore::open(dir_.file("db"));
        ASSERT_TRUE(opened);
        store_ = std::move(*opened);
        sessions_ = std::make_unique<service::SessionService>(*store_, *store_, clock_, hub_);
        // A few hundred sessions over ten days, in a shuffled order of writing.
        std::mt19937 random(42);
        const SessionType types[] = {SessionType::PolicyBackup, SessionType::PolicySnapshot, SessionType::HealthCheck};
        const SessionStatus statuses[] = {SessionStatus::Success, SessionStatus::Warning, SessionStatus::Running};
        for (int i = 0; i < 300; ++i) {
            Row r{types[random() % 3], statuses[random() % 3],
                  kBase + static_cast<util::Micros>(random() % (10 * kDay)) / 1000 * 1000,
                  i % 4 == 0 ? "" : "policy-" + std::to_string(i % 5), 1 + static_cast<std::int64_t>(i % 2)};
            // Some share a start time, so ties are broken by id.
            if (i % 10 == 0 && !rows_.empty()) {
                r.start = rows_.back().start;
            }
            NewSession s;
            s.type = r.type;
            s.status = r.status;
            s.start_time = r.start;
            s.created_by = r.creator;
            if (!r.policy.empty()) {
                s.backup_info = domain::BackupJobInfo{r.policy, "Nightly " + r.policy, 1, false};
            }
            auto created = store_->create_session(s, nullptr);
            ASSERT_TRUE(created);
            ids_.push_back(created->id);
            rows_.push_back(r);
        }
    }

    // The expected list: filter in memory, order newest first then highest id.
    std::vector<std::int64_t> expected(const std::function<bool(const Row&)>& match)
    {
        std::vector<std::pair<std::pair<util::Micros, std::int64_t>, std::int64_t>> keyed;
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            if (match(rows_[i])) {
                keyed.push_back({{rows_[i].start, ids_[i]}, ids_[i]});
            }
        }
        std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<std::int64_t> ids;
        for (const auto& k : keyed) {
            ids.push_back(k.second);
        }
        return ids;
    }

    std::vector<std::int64_t> listed(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                                     std::int64_t* total = nullptr)
    {
        auto page = page_of(filter, offset, limit, nullptr);
        EXPECT_TRUE(page);
        std::vector<std::int64_t> ids;
        for (const auto& s : page->sessions) {
            ids.push_back(s.id);
        }
        if (total != nullptr) {
            *total = page->total_count;
        }
        return ids;
    }

    std::vector<std::int64_t> walked(const SessionFilter& filter)
    {
        auto cursor = store_->open_session_cursor(filter);
        EXPECT_TRUE(cursor);
        std::vector<std::int64_t> ids;
        domain::JobSession s;
        while (*(*cursor)->next(s)) {
            ids.push_back(s.id);
        }
        return ids;
    }

    void check(const SessionFilter& filter, const std::function<bool(const Row&)>& match)
    {
        const auto all = expected(match);
        std::int64_t total = 0;
        const auto first = listed(filter, 0, 30, &total);
        EXPECT_EQ(total, static_cast<std::int64_t>(all.size()));
        EXPECT_EQ(first, std::vector<std::int64_t>(all.begin(), all.begin() + std::min<std::size_t>(30, all.size())));
        if (all.size() > 7) {
            EXPECT_EQ(listed(filter, 5, 2), std::vector<std::int64_t>(all.begin() + 5, all.begin() + 7));
        }
        EXPECT_TRUE(listed(filter, static_cast<std::int64_t>(all.size()), 30).empty());
        EXPECT_EQ(walked(filter), all);
        EXPECT_EQ(*store_->count_sessions(filter), static_cast<std::int64_t>(all.size()));
    }

    // 5,000 sessions in four busy hours across a midnight (half of them in the busiest hour), some on whole
    // minutes and hours: what makes counts and pages descend to hours and minutes.
    void import_busy_hours()
    {
        std::mt19937 random(7);
        std::vector<Row> rows;
        for (int i = 0; i < 5000; ++i) {
            const util::Micros start = i % 2 == 0 ? kBusiest + static_cast<util::Micros>(random() % kHour)
                                                  : kBusy + static_cast<util::Micros>(random() % (4 * kHour));
            Row r{i % 2 == 0 ? SessionType::PolicyBackup : SessionType::HealthCheck,
                  i % 3 == 0 ? SessionStatus::Warning : SessionStatus::Success, start, i % 4 != 3 ? "policy-1" : "", 1};
            if (i % 7 == 0) {
                r.start = r.start / kMinute * kMinute;
            }
            if (i % 50 == 0) {
                r.start = r.start / kHour * kHour;
            }
            rows.push_back(r);
        }
        import_rows(rows);
    }

    // Imports `rows` in one write: the sessions take the next ids in order.
    void import_rows(const std::vector<Row>& rows)
    {
        std::vector<NewSession> imported;
        for (const auto& r : rows) {
            NewSession s;
            s.type = r.type;
            s.status = r.status;
            s.start_time = r.start;
            s.created_by = r.creator;
            if (!r.policy.empty()) {
                s.backup_info = domain::BackupJobInfo{
                    r.policy, r.policy_name.empty() ? "Nightly " + r.policy : r.policy_name, 1, false};
            }
            imported.push_back(std::move(s));
            rows_.push_back(r);
        }
        ASSERT_TRUE(store_->import_sessions(imported));
        const std::int64_t last_id = ids_.back();
        for (std::size_t i = 0; i < imported.size(); ++i) {
            ids_.push_back(last_id + 1 + static_cast<std::int64_t>(i));
        }
        ASSERT_EQ(store_->get_session(ids_.back())->start_time, rows_.back().start);
    }

    /// A page as the server lists it: the keys, then the rows of the sessions `known` does not hold.
    service::Outcome<SessionPage> page_of(const SessionFilter& filter, std::int64_t offset, std::int64_t limit,
                                          service::KnownSessions* known)
    {
        return sessions_->list(service::kSystem, filter, offset, limit, known);
    }

    test::TempDir dir_;
    std::unique_ptr<sqlite::SqliteStore> store_;
    util::SystemClock clock_;
    service::ChangeHub hub_;
    std::unique_ptr<service::SessionService> sessions_;
    std::vector<Row> rows_;
    std::vector<std::int64_t> ids_;
};

TEST_F(SessionList, NoFilterListsEverythingNewestFirst)
{
    check({}, [](const Row&) { return true; });
}

TEST_F(SessionList, EveryFilterAloneAndCombined)
{
    SessionFilter types;
    types.types = {SessionType::PolicyBackup, SessionType::HealthCheck, SessionType::PolicyBackup};
    check(types,
          [](const Row& r) { return r.type == SessionType::PolicyBackup || r.type == SessionType::HealthCheck; });

    SessionFilter statuses;
    statuses.statuses = {SessionStatus::Warning};
    check(statuses, [](const Row& r) { return r.status == SessionStatus::Warning; });

    SessionFilter both = types;
    both.statuses = {SessionStatus::Success, SessionStatus::Running};
    check(both, [](const Row& r) {
        return (r.type == SessionType::PolicyBackup || r.type == SessionType::HealthCheck) &&
               r.status != SessionStatus::Warning;
    });

    SessionFilter policy;
    policy.policy_id = "policy-3";
    check(policy, [](const Row& r) { return r.policy == "policy-3"; });

    SessionFilter window;
    window.from = kBase + 2 * kDay + 12345;
    window.to = kBase + 6 * kDay + 777;
    check(window, [&](const Row& r) { return r.start >= *window.from && r.start < *window.to; });

    SessionFilter within_a_day;
    within_a_day.from = kBase + 3 * kDay + 1000;
    within_a_day.to = kBase + 3 * kDay + kDay / 2;
    check(within_a_day, [&](const Row& r) { return r.start >= *within_a_day.from && r.start < *within_a_day.to; });

    // Windows that cover most of their days, counted from whole days, hours and minutes.
    const util::Micros midnight = (kBase + 3 * kDay) / kDay * kDay;
    for (const auto& [from, to] :
         {std::pair{midnight + kDay / 24, midnight + 23 * kDay / 24}, std::pair{midnight, midnight + 23 * kDay / 24},
          std::pair{midnight + 2 * kDay / 24, midnight + kDay + 22 * kDay / 24},
          std::pair{midnight - kDay / 24, midnight + 2 * kDay}}) {
        SessionFilter most_of_days;
        most_of_days.from = from;
        most_of_days.to = to;
        check(most_of_days, [&](const Row& r) { return r.start >= from && r.start < to; });
        most_of_days.types = {SessionType::PolicySnapshot};
        most_of_days.policy_id = "policy-3";
        check(most_of_days, [&](const Row& r) {
            return r.type == SessionType::PolicySnapshot && r.policy == "policy-3" && r.start >= from && r.start < to;
        });
        most_of_days.policy_id.reset();
        most_of_days.text = "nightly policy-1";
        check(most_of_days, [&](const Row& r) {
            return r.type == SessionType::PolicySnapshot && r.policy == "policy-1" && r.start >= from && r.start < to;
        });
    }

    SessionFilter text;
    text.text = "NIGHTLY POLICY-2";
    check(text, [](const Row& r) { return r.policy == "policy-2"; });

    SessionFilter localized;
    localized.text = "health";
    check(localized, [](const Row& r) { return r.type == SessionType::HealthCheck; });

    SessionFilter wildcard;
    wildcard.text = "%";
    check(wildcard, [](const Row&) { return false; });

    SessionFilter creator;
    creator.created_by = 2;
    check(creator, [](const Row& r) { return r.creator == 2; });

    SessionFilter usn;
    usn.usn_after = 250;
    check(usn, [&](const Row& r) { return &r - rows_.data() >= 250; });

    SessionFilter everything = both;
    everything.from = window.from;
    everything.to = window.to;
    everything.policy_id = "policy-1";
    everything.created_by = 2;
    everything.text = "nightly";
    check(everything, [&](const Row& r) {
        return (r.type == SessionType::PolicyBackup || r.type == SessionType::HealthCheck) &&
               r.status != SessionStatus::Warning && r.start >= *window.from && r.start < *window.to &&
               r.policy == "policy-1" && r.creator == 2;
    });

    SessionFilter empty_window;
    empty_window.from = kBase + 5 * kDay;
    empty_window.to = kBase + 5 * kDay;
    check(empty_window, [](const Row&) { return false; });
}

TEST_F(SessionList, CountsFollowChanges)
{
    SessionFilter warning;
    warning.statuses = {SessionStatus::Warning};
    const auto before = *store_->count_sessions(warning);
    auto session = *store_->get_session(ids_[0]);
    const bool was_warning = session.status == SessionStatus::Warning;
    session.status = was_warning ? SessionStatus::Error : SessionStatus::Warning;
    session.stop_time = session.start_time;
    ASSERT_TRUE(store_->replace_session(session, session.usn, nullptr));
    EXPECT_EQ(*store_->count_sessions(warning), before + (was_warning ? -1 : 1));
}

// The text of every row a query returns (its first `columns` columns), one line per row, to compare tables.
std::string table_text(sqlite::Connection& db, const std::string& sql, int columns)
{
    auto stmt = db.prepare_owned(sql);
    EXPECT_TRUE(stmt) << sql;
    std::string text;
    while (stmt && *stmt->step()) {
        for (int i = 0; i < columns; ++i) {
            text += std::string(stmt->column_text(i)) + '|';
        }
        text += '\n';
    }
    return text;
}

// Every aggregate row equals a recount of the sessions table, and no row is left at zero.
void expect_aggregates_equal_a_recount(const std::string& path)
{
    auto opened = sqlite::Connection::open(path, false);
    ASSERT_TRUE(opened);
    auto& db = **opened;
    auto bucket = [](const char* micros) {
        return std::string("start_time / ") + micros + " - (start_time < 0 AND start_time % " + micros + " != 0)";
    };
    const std::pair<std::string, std::string> buckets[] = {{"period, ", bucket("2764800000000")}, // 32 days
                                                           {"day, ", bucket("86400000000")},
                                                           {"hour, ", bucket("3600000000")},
                                                           {"minute, ", bucket("60000000")}};
    struct Aggregate {
        std::string table;
        std::string keys;
        int key_count;
    };
    const Aggregate aggregates[] = {
        {"session_totals", "type, status, created_by", 3},
        {"session_day_counts", "day, type, status, created_by", 4},
        {"session_policy_totals", "policy_id, policy_name, type, status, created_by", 5},
        {"session_policy_day_counts", "day, policy_id, policy_name, type, status, created_by", 6},
        {"session_hour_counts", "hour, type, status, created_by", 4},
        {"session_policy_hour_counts", "hour, policy_id, policy_name, type, status, created_by", 6},
        {"session_minute_counts", "minute, type, status, created_by", 4},
        {"session_policy_minute_counts", "minute, policy_id, policy_name, type, status, created_by", 6},
        {"session_period_counts", "period, type, status, created_by", 4},
        {"session_policy_period_counts", "period, policy_id, policy_name, type, status, created_by", 6},
    };
    for (const auto& a : aggregates) {
        std::string positions;
        for (int i = 1; i <= a.key_count; ++i) {
            positions += (i > 1 ? ", " : "") + std::to_string(i);
        }
        std::string recounted_keys = a.keys;
        for (const auto& [column, expression] : buckets) {
            if (recounted_keys.rfind(column, 0) == 0) {
                recounted_keys.replace(0, column.size() - 2, expression);
            }
        }
        const bool by_policy = a.table.find("policy") != std::string::npos;
        const auto recount = table_text(db,
                                        "SELECT " + recounted_keys + ", count(*) FROM sessions" +
                                            (by_policy ? " WHERE policy_id IS NOT NULL" : "") + " GROUP BY " +
                                            positions + " ORDER BY " + positions,
                                        a.key_count + 1);
        EXPECT_FALSE(recount.empty()) << a.table;
        EXPECT_EQ(
            table_text(db, "SELECT " + a.keys + ", n FROM " + a.table + " ORDER BY " + positions, a.key_count + 1),
            recount)
            << a.table;
        EXPECT_EQ(table_text(db, "SELECT count(*) FROM " + a.table + " WHERE n <= 0", 1), "0|\n") << a.table;
    }
}

// Concurrent writers create (some refused after their insert, by a reused idempotency key), change and delete
// sessions; the writer folds their counts per batch, and afterwards every aggregate row equals a recount of the
// sessions table, with no row left at zero.
TEST_F(SessionList, AggregateTablesEqualARecountAfterConcurrentWrites)
{
    constexpr int kThreads = 8;
    constexpr int kPerThread = 60;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([this, t] {
            std::mt19937 random(static_cast<unsigned>(t));
            const SessionType types[] = {SessionType::PolicyBackup, SessionType::PolicySnapshot};
            for (int i = 0; i < kPerThread; ++i) {
                NewSession s;
                s.type = types[random() % 2];
                s.status = SessionStatus::Success;
                s.start_time = kBase + static_cast<util::Micros>(random() % (12 * kDay)) / 1000 * 1000;
                s.stop_time = s.start_time;
                s.created_by = 1 + t % 2;
                if (i % 3 != 0) {
                    s.backup_info = domain::BackupJobInfo{"policy-" + std::to_string(i % 4), "Nightly", 1, false};
                }
                IdempotencyWrite idem;
                idem.user_id = t;
                idem.key = "key-" + std::to_string(i / 2); // every second creation reuses a key: refused
                idem.request_hash = "hash";
                idem.status_code = 201;
                idem.render = [](const WriteOutcome&, IdempotencyRecord&) {};
                auto created = store_->create_session(s, i % 5 == 0 ? nullptr : &idem);
                if (!created) {
                    ASSERT_EQ(created.error().code, StoreErrc::Conflict);
                    continue;
                }
                if (i % 4 == 1) {
                    auto changed = *created;
                    changed.status = SessionStatus::Warning;
                    changed.type = SessionType::HealthCheck;
                    changed.backup_info.reset();
                    changed.start_time += kDay;
                    ASSERT_TRUE(store_->replace_session(changed, created->usn, nullptr));
                }
                if (i % 10 == 9) {
                    ASSERT_TRUE(store_->delete_old_sessions(std::nullopt, kBase + 3 * kDay, 5));
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    expect_aggregates_equal_a_recount(dir_.file("db"));
}

// A store of schema version 4 (counts per day only) is upgraded when opened: the counts per hour, minute and
// period are made from the sessions and days it holds, and windows are counted exactly right away.
TEST_F(SessionList, UpgradeFromDayCountsMakesTheFinerAndCoarserCounts)
{
    sessions_.reset();
    store_.reset();
    {
        auto opened = sqlite::Connection::open(dir_.file("db"), false);
        ASSERT_TRUE(opened);
        ASSERT_TRUE(
            (*opened)->exec("DROP TABLE session_hour_counts; DROP TABLE session_minute_counts;"
                            "DROP TABLE session_policy_hour_counts; DROP TABLE session_policy_minute_counts;"
                            "DROP TABLE session_period_counts; DROP TABLE session_policy_period_counts;"
                            "DROP TABLE login_failures; DROP TABLE login_addresses;"
                            "DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries;"
                            "DROP TABLE webhook_event_steps; DROP TABLE webhook_watch; DROP TABLE webhook_cursor;"
                            "DROP TABLE webhooks;"
                            "PRAGMA user_version = 4;"));
    }
    auto reopened = sqlite::SqliteStore::open(dir_.file("db"));
    ASSERT_TRUE(reopened);
    store_ = std::move(*reopened);
    sessions_ = std::make_unique<service::SessionService>(*store_, *store_, clock_, hub_);
    expect_aggregates_equal_a_recount(dir_.file("db"));
    SessionFilter window;
    window.from = kBase + 2 * kDay + 3 * 3600 * util::kMicrosPerSecond + 17;
    window.to = kBase + 5 * kDay + 7 * 60 * util::kMicrosPerSecond;
    window.types = {SessionType::PolicyBackup};
    check(window, [&](const Row& r) {
        return r.type == SessionType::PolicyBackup && r.start >= *window.from && r.start < *window.to;
    });
}

TEST_F(SessionList, WindowCountsAreExactWhereverTheEdgesFall)
{
    import_busy_hours();
    const util::Micros busy = kBusy;
    const util::Micros busiest = kBusiest;
    std::vector<util::Micros> edges;
    for (const util::Micros base : {busy, busiest, busy + 2 * kHour, busy + 3 * kHour + 17 * kMinute}) {
        for (const util::Micros shift : {util::Micros{0}, util::Micros{1}, util::Micros{-1},
                                         30 * util::kMicrosPerSecond, kMinute - 1, 7 * kMinute, kHour / 2, kHour + 1}) {
            edges.push_back(base + shift);
        }
    }
    edges.push_back(kBase + 4 * kDay);     // the start of the busy day
    edges.push_back(kBase + 5 * kDay);     // midnight within the busy hours
    edges.push_back(kBase + 7 * kDay + 3); // days later
    int windows = 0;
    for (const auto from : edges) {
        for (const auto to : edges) {
            if (from >= to) {
                continue;
            }
            ++windows;
            SessionFilter window;
            window.from = from;
            window.to = to;
            const auto all = expected([&](const Row& r) { return r.start >= from && r.start < to; });
            ASSERT_EQ(*store_->count_sessions(window), static_cast<std::int64_t>(all.size()))
                << "from " << from << " to " << to;
            SessionFilter backups = window;
            backups.types = {SessionType::PolicyBackup};
            backups.statuses = {SessionStatus::Success};
            ASSERT_EQ(*store_->count_sessions(backups),
                      static_cast<std::int64_t>(expected([&](const Row& r) {
                                                    return r.type == SessionType::PolicyBackup &&
                                                           r.status == SessionStatus::Success && r.start >= from &&
                                                           r.start < to;
                                                }).size()))
                << "from " << from << " to " << to;
            SessionFilter policy = window;
            policy.policy_id = "policy-1";
            ASSERT_EQ(*store_->count_sessions(policy),
                      static_cast<std::int64_t>(expected([&](const Row& r) {
                                                    return r.policy == "policy-1" && r.start >= from && r.start < to;
                                                }).size()))
                << "from " << from << " to " << to;
        }
    }
    EXPECT_GT(windows, 300);
    // Open-ended windows.
    SessionFilter since;
    since.from = busy + kHour + 1;
    check(since, [&](const Row& r) { return r.start >= *since.from; });
    SessionFilter until;
    until.to = busy + 2 * kHour + kMinute / 2;
    check(until, [&](const Row& r) { return r.start < *until.to; });
}

// A page deep in a list starts where its offset says, wherever that falls among days, hours and minutes: the kept
// counts pass over the sessions before it (read by the aggregate tables' keys), so its key walk skips at most a
// few thousand of them in the index, however deep the page.
TEST_F(SessionList, DeepPagesStartAtTheirOffsetFromTheCounts)
{
    import_busy_hours();
    // And a year before them, a session every four hours: the oldest part of the list spans a dozen periods.
    std::vector<Row> year;
    for (int i = 0; i < 2200; ++i) {
        year.push_back({i % 3 == 0 ? SessionType::HealthCheck : SessionType::PolicyBackup,
                        i % 5 == 0 ? SessionStatus::Warning : SessionStatus::Success,
                        kBase - 400 * kDay + i * 4 * kHour + 7, i % 2 == 0 ? "policy-1" : "", 1});
    }
    import_rows(year);
    struct Case {
        const char* name;
        SessionFilter filter;
        std::function<bool(const Row&)> match;
    };
    std::vector<Case> cases(9);
    cases[0] = {"all", {}, [](const Row&) { return true; }};
    cases[1] = {"type", {}, [](const Row& r) { return r.type == SessionType::PolicyBackup; }};
    cases[1].filter.types = {SessionType::PolicyBackup};
    cases[2] = {"two types, two statuses", {}, [](const Row& r) {
                    return (r.type == SessionType::PolicyBackup || r.type == SessionType::HealthCheck) &&
                           (r.status == SessionStatus::Success || r.status == SessionStatus::Warning);
                }};
    cases[2].filter.types = {SessionType::HealthCheck, SessionType::PolicyBackup};
    cases[2].filter.statuses = {SessionStatus::Warning, SessionStatus::Success};
    cases[3] = {"policy", {}, [](const Row& r) { return r.policy == "policy-1"; }};
    cases[3].filter.policy_id = "policy-1";
    cases[4] = {"creator", {}, [](const Row& r) { return r.creator == 1; }};
    cases[4].filter.created_by = 1;
    cases[5] = {"window", {}, [](const Row& r) {
                    return r.start >= kBusy + 17 * kMinute + 3 && r.start < kBusy + 3 * kHour + 5;
                }};
    cases[5].filter.from = kBusy + 17 * kMinute + 3;
    cases[5].filter.to = kBusy + 3 * kHour + 5;
    cases[6] = {"until", {}, [](const Row& r) { return r.start < kBusiest + kHour / 2; }};
    cases[6].filter.to = kBusiest + kHour / 2;
    cases[7] = {"since, type", {}, [](const Row& r) {
                    return r.start >= kBase + kDay + 1 && r.type == SessionType::HealthCheck;
                }};
    cases[7].filter.from = kBase + kDay + 1;
    cases[7].filter.types = {SessionType::HealthCheck};
    cases[8] = {"text (walked, not sought)", {}, [](const Row& r) { return !r.policy.empty(); }};
    cases[8].filter.text = "Nightly";
    for (const auto& c : cases) {
        const auto all = expected(c.match);
        const auto size = static_cast<std::int64_t>(all.size());
        ASSERT_GT(size, 2200) << c.name;
        std::vector<std::int64_t> offsets{2000, 2001, 2999, size - 30, size - 1, size, size + 5};
        for (std::int64_t offset = 0; offset < size; offset += 89) {
            offsets.push_back(offset);
        }
        for (const auto offset : offsets) {
            const auto begin = std::min(offset, size);
            const auto end = std::min(offset + 7, size);
            ASSERT_EQ(listed(c.filter, offset, 7), std::vector<std::int64_t>(all.begin() + begin, all.begin() + end))
                << c.name << ", offset " << offset;
            if (offset >= size || c.filter.text) {
                continue;
            }
            std::int64_t walked = -1;
            const auto plans = store_->seek_query_plans(c.filter, offset, walked);
            ASSERT_LE(walked, 2000) << c.name << ", offset " << offset << "\n" << plans;
            EXPECT_EQ(plans.find("TEMP B-TREE"), std::string::npos) << c.name << "\n" << plans;
            std::istringstream lines(plans);
            for (std::string line; std::getline(lines, line);) {
                // Without a window, the periods are walked newest first in the key's order until the page is reached.
                EXPECT_TRUE(line == "SCAN session_period_counts" || line == "SCAN session_policy_period_counts" ||
                            line.find("USING PRIMARY KEY") != std::string::npos ||
                            line.find("USING INDEX sessions_by_") != std::string::npos ||
                            line.find("USING COVERING INDEX sessions_by_") != std::string::npos)
                    << c.name << "\n"
                    << plans;
            }
        }
    }
}

// The counts per bucket a deep page passes over are kept for the next deep page of its filter; a write to a period
// they span makes the next page read them again, so that every page starts where its offset says.
TEST_F(SessionList, DeepPagesFollowEveryWriteToThePeriodsTheyPassOver)
{
    import_busy_hours();
    SessionFilter backups;
    backups.types = {SessionType::PolicyBackup};
    SessionFilter warnings;
    warnings.statuses = {SessionStatus::Warning};
    const std::vector<std::pair<SessionFilter, std::function<bool(const Row&)>>> cases{
        {SessionFilter{}, [](const Row&) { return true; }},
        {backups, [](const Row& r) { return r.type == SessionType::PolicyBackup; }},
        {warnings, [](const Row& r) { return r.status == SessionStatus::Warning; }},
    };
    // Each round lists pages at offsets no round listed before, so that no kept page answers: the seek runs.
    std::int64_t round = 0;
    auto check_deep_pages = [&] {
        ++round;
        for (const auto& [filter, match] : cases) {
            const auto all = expected(match);
            const auto size = static_cast<std::int64_t>(all.size());
            for (const std::int64_t offset : {2'100 + round, 2'600 + round, size / 2 + round, size - 20 + round}) {
                const auto begin = std::min(offset, size);
                const auto end = std::min(offset + 5, size);
                ASSERT_EQ(listed(filter, offset, 5), std::vector<std::int64_t>(all.begin() + begin, all.begin() + end))
                    << "round " << round << ", offset " << offset;
            }
        }
    };
    check_deep_pages();
    check_deep_pages(); // from the kept counts

    // A session in the busiest hour, newer than most of the busy hours: every deep page past it moves by one.
    NewSession s;
    s.type = SessionType::PolicyBackup;
    s.status = SessionStatus::Warning;
    s.start_time = kBusiest + 30 * kMinute;
    s.created_by = 1;
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    rows_.push_back({s.type, s.status, s.start_time, "", 1});
    ids_.push_back(created->id);
    check_deep_pages();

    // Its status changes: the warnings lose it, the others keep it.
    auto done = *created;
    done.status = SessionStatus::Success;
    done.stop_time = done.start_time + kMinute;
    ASSERT_TRUE(store_->replace_session(done, created->usn, nullptr));
    rows_.back().status = SessionStatus::Success;
    check_deep_pages();

    // Sessions far older than every deep page of these lists change none of them.
    s.start_time = kBase - 300 * kDay;
    for (int i = 0; i < 3; ++i) {
        created = store_->create_session(s, nullptr);
        ASSERT_TRUE(created);
        rows_.push_back({s.type, s.status, s.start_time, "", 1});
        ids_.push_back(created->id);
    }
    check_deep_pages();
}

// A text filter reads the index ranges of the policies whose names contain the text and of the types named like
// it, so a rare match costs what it finds, not a walk over every session; past a few dozen policies it walks.
TEST_F(SessionList, TextFiltersReadTheRangesOfThePoliciesAndTypesTheyName)
{
    std::vector<Row> rows;
    for (int i = 0; i < 40; ++i) { // a year before the others: newest first, a walk would pass everything else
        rows.push_back({i % 2 == 0 ? SessionType::PolicyBackup : SessionType::HealthCheck, SessionStatus::Success,
                        kBase - 365 * kDay + i * kHour, "old-1", 1 + static_cast<std::int64_t>(i % 2)});
    }
    for (int i = 0; i < 33; ++i) {
        rows.push_back({SessionType::PolicySnapshot, SessionStatus::Warning, kBase + i * kHour + 5,
                        "many-" + std::to_string(i), 1});
    }
    // Sessions of policy old-1 recorded before it was renamed: the text is in its current name only.
    rows.push_back({SessionType::PolicyBackup, SessionStatus::Success, kBase - 366 * kDay, "old-1", 1, "Weekly"});
    import_rows(rows);
    auto named = [](std::string_view text) {
        return [text](const Row& r) {
            std::string name = r.policy.empty() ? "" : r.policy_name.empty() ? "nightly " + r.policy : r.policy_name;
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            return name.find(text) != std::string::npos;
        };
    };
    struct Case {
        const char* name;
        SessionFilter filter;
        std::function<bool(const Row&)> match;
        const char* walks; // an index the plan must name
    };
    std::vector<Case> cases(7);
    cases[0] = {"one old policy", {}, named("old-1"), "sessions_by_policy"};
    ASSERT_EQ(expected(named("old-1")).size(), 40U);
    cases[0].filter.text = "OLD-1";
    cases[1] = {"a part of a policy's name", {}, named("ld-1"), "sessions_by_policy"};
    cases[1].filter.text = "ld-1";
    cases[2] = {
        "a type by its name", {}, [](const Row& r) { return r.type == SessionType::HealthCheck; }, "sessions_by_type"};
    cases[2].filter.text = "health";
    cases[3] = {"policies of a creator",
                {},
                [&](const Row& r) { return named("old-1")(r) && r.creator == 2; },
                "sessions_by_policy"};
    cases[3].filter.text = "old-1";
    cases[3].filter.created_by = 2;
    cases[4] = {
        "in a window",
        {},
        [&](const Row& r) { return named("policy-")(r) && r.start >= kBase + 2 * kDay && r.start < kBase + 6 * kDay; },
        "sessions_by_policy"};
    cases[4].filter.text = "policy-";
    cases[4].filter.from = kBase + 2 * kDay;
    cases[4].filter.to = kBase + 6 * kDay;
    cases[5] = {"nothing", {}, [](const Row&) { return false; }, ""};
    cases[5].filter.text = "zzz";
    cases[6] = {"more policies than it reads ranges of", {}, named("many-"), "sessions_by_start"};
    cases[6].filter.text = "many-";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        check(c.filter, c.match);
        const auto all = expected(c.match);
        if (all.size() > 12) {
            EXPECT_EQ(listed(c.filter, 10, 3), std::vector<std::int64_t>(all.begin() + 10, all.begin() + 13));
        }
        const auto plan = store_->list_query_plans(c.filter);
        EXPECT_NE(plan.find(c.walks), std::string::npos) << plan;
        if (std::string_view(c.walks) != "sessions_by_start") {
            EXPECT_EQ(plan.find("sessions_by_start"), std::string::npos) << plan;
        }
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    }
    // A type and a policy named alike: each session once, though both ranges hold it.
    SessionFilter both;
    both.text = "check";
    std::vector<Row> checks{{SessionType::HealthCheck, SessionStatus::Success, kBase + 3, "check-vms", 1},
                            {SessionType::PolicyBackup, SessionStatus::Success, kBase + 4, "check-vms", 1}};
    import_rows(checks);
    check(both, [&](const Row& r) { return named("check")(r) || r.type == SessionType::HealthCheck; });
    const auto plan = store_->list_query_plans(both);
    EXPECT_NE(plan.find("sessions_by_policy"), std::string::npos) << plan;
    EXPECT_NE(plan.find("sessions_by_type"), std::string::npos) << plan;
}

// A usn filter (an incremental poll) reads the few sessions changed after the usn along the usn index and sorts
// them; when many changed, its list walks a list index and its count subtracts the few before the usn from the
// aggregates; when many are on both sides, it counts row by row. Each way lists and counts exactly.
TEST_F(SessionList, UsnFiltersReadTheFewChangedSessionsAlongTheUsnIndex)
{
    import_busy_hours();
    std::vector<std::int64_t> usns; // of rows_[i]
    for (const auto id : ids_) {
        usns.push_back(store_->get_session(id)->usn);
    }
    const auto highest = *std::max_element(usns.begin(), usns.end());
    ASSERT_GT(highest, 5000);
    for (const std::int64_t after : {highest - 40, highest - 1999, std::int64_t{25}, std::int64_t{1999},
                                     highest / 2 - 200, highest / 2 + 200, highest}) {
        SCOPED_TRACE("usn after " + std::to_string(after));
        auto changed = [&, after](const Row& r) { return usns[static_cast<std::size_t>(&r - rows_.data())] > after; };
        SessionFilter f;
        f.usn_after = after;
        check(f, changed);
        SessionFilter backups = f;
        backups.types = {SessionType::PolicyBackup};
        backups.text = "policy-1";
        backups.from = kBase + 2 * kDay;
        check(backups, [&](const Row& r) {
            return changed(r) && r.type == SessionType::PolicyBackup && r.policy == "policy-1" &&
                   r.start >= *backups.from;
        });
        const auto plan = store_->list_query_plans(f);
        if (highest - after <= 2000) {
            EXPECT_NE(plan.find("USING INDEX sqlite_autoindex_sessions_1 (usn>?)"), std::string::npos) << plan;
        } else {
            EXPECT_NE(plan.find("USING INDEX sessions_by_start"), std::string::npos) << plan;
            EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
        }
    }
}

TEST_F(SessionList, ChangedSessionsComeInUsnOrder)
{
    auto changed = store_->changed_sessions(295, 3, std::nullopt);
    ASSERT_TRUE(changed);
    ASSERT_EQ(changed->size(), 3U);
    EXPECT_EQ((*changed)[0].usn, 296);
    EXPECT_EQ((*changed)[2].usn, 298);
    EXPECT_EQ(*store_->highest_usn(), 300);
    auto mine = store_->changed_sessions(290, 100, 1);
    ASSERT_TRUE(mine);
    for (const auto& s : *mine) {
        EXPECT_EQ(s.created_by, 1);
    }
}

// None, two types, a status, a type with two statuses, a policy, a creator, a one-day window.
std::vector<SessionFilter> one_filter_of_each_kind()
{
    std::vector<SessionFilter> filters(7);
    filters[1].types = {SessionType::PolicyBackup, SessionType::HealthCheck};
    filters[2].statuses = {SessionStatus::Success};
    filters[3].types = {SessionType::PolicyBackup};
    filters[3].statuses = {SessionStatus::Success, SessionStatus::Error};
    filters[4].policy_id = "policy-1";
    filters[5].created_by = 1;
    filters[6].from = kBase;
    filters[6].to = kBase + kDay;
    return filters;
}

// Every list walks an index in list order: no table scan, no sort.
TEST_F(SessionList, EveryListQueryIsServedFromAnIndex)
{
    auto filters = one_filter_of_each_kind();
    filters[6].text = "night"; // (usn filters: UsnFiltersReadTheFewChangedSessionsAlongTheUsnIndex)
    for (const auto& f : filters) {
        const auto plan = store_->list_query_plans(f);
        EXPECT_NE(plan.find("USING INDEX sessions_by_"), std::string::npos) << plan;
        // A SCAN is fine only as an ordered walk of an index that stops at the page's end.
        std::istringstream lines(plan);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("SCAN", 0) == 0) {
                EXPECT_NE(line.find("USING INDEX"), std::string::npos) << plan;
            }
        }
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    }
}

// Every count reads the aggregate tables by their keys, and the index for what it counts row by row: the sessions
// table itself is never scanned. Windows over sparse days (counted from the index) and over a busy hour (from the
// hours and minutes).
// A total asked again is kept from the last time while nothing changed the counts of its window: every write
// that does (a creation, a status change, a deletion) shows in the next total, in a read round too, and a write in
// another period leaves the window's total as it was.
TEST_F(SessionList, TotalsAskedAgainFollowEveryWriteToTheirWindow)
{
    SessionFilter window;
    window.from = kBase + 2 * kDay + 5 * kHour;
    window.to = *window.from + kDay;
    SessionFilter running = window;
    running.statuses = {SessionStatus::Running};
    SessionFilter backups;
    backups.types = {SessionType::PolicyBackup};
    const std::vector<SessionFilter> filters{window, running, backups, SessionFilter{}};
    auto total = [&](const SessionFilter& f) {
        std::int64_t t = -1;
        listed(f, 0, 1, &t);
        return t;
    };
    auto totals = [&] {
        std::vector<std::int64_t> all;
        for (const auto& f : filters) {
            all.push_back(total(f));
            EXPECT_EQ(all.back(), static_cast<std::int64_t>(walked(f).size()));
            EXPECT_EQ(total(f), all.back()); // asked again
        }
        return all;
    };
    using Totals = std::vector<std::int64_t>;
    const auto before = totals();

    NewSession s;
    s.type = SessionType::PolicyBackup;
    s.status = SessionStatus::Running;
    s.start_time = *window.from + kHour;
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    const auto with_one = totals();
    EXPECT_EQ(with_one, (Totals{before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1}));

    auto done = *created;
    done.status = SessionStatus::Success;
    done.stop_time = done.start_time + kMinute;
    ASSERT_TRUE(store_->replace_session(done, created->usn, nullptr));
    EXPECT_EQ(totals(), (Totals{with_one[0], with_one[1] - 1, with_one[2], with_one[3]}));

    s.start_time = kBase + 200 * kDay; // another period
    ASSERT_TRUE(store_->create_session(s, nullptr));
    EXPECT_EQ(totals(), (Totals{with_one[0], with_one[1] - 1, with_one[2] + 1, with_one[3] + 1}));

    // In a read round the snapshot follows the writes acknowledged before each read.
    store_->begin_read_round();
    const auto in_round = total(window);
    s.start_time = *window.from;
    ASSERT_TRUE(store_->create_session(s, nullptr));
    EXPECT_EQ(total(window), in_round + 1);
    store_->end_read_round();

    ASSERT_TRUE(store_->delete_old_sessions(std::nullopt, *window.from + 2 * kHour, 1000));
    const auto after_deletion = totals();
    EXPECT_LT(after_deletion[0], in_round + 1);
    EXPECT_LT(after_deletion[3], with_one[3] + 2);
}

// Readers asking for a window's total while a writer adds sessions to it: no total is ever smaller than the
// sessions acknowledged before it was asked (run under TSan by the sanitizer preset).
TEST_F(SessionList, TotalsKeptNeverLagTheWritesAcknowledgedBeforeThem)
{
    SessionFilter window;
    window.from = kBase + 2 * kDay;
    window.to = *window.from + kDay;
    std::int64_t base = -1;
    listed(window, 0, 1, &base);
    std::atomic<std::int64_t> acknowledged{0};
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        NewSession s;
        s.status = SessionStatus::Success;
        for (int i = 0; i < 200; ++i) {
            s.start_time = *window.from + i * kMinute;
            s.stop_time = s.start_time;
            ASSERT_TRUE(store_->create_session(s, nullptr));
            acknowledged.fetch_add(1);
        }
        writing = false;
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&, r] {
            while (writing) {
                const auto before = acknowledged.load();
                if (r == 1) {
                    store_->begin_read_round();
                }
                auto page = page_of(window, 0, 1, nullptr);
                if (r == 1) {
                    store_->end_read_round();
                }
                ASSERT_TRUE(page);
                ASSERT_GE(page->total_count, base + before);
            }
        });
    }
    writer.join();
    for (auto& reader : readers) {
        reader.join();
    }
    std::int64_t total = -1;
    listed(window, 0, 1, &total);
    EXPECT_EQ(total, base + 200);
}

// Remembers which sessions of a page it was asked about, in order, and holds those with an odd id (or all).
class OddSessionsHeld final : public service::KnownSessions {
public:
    explicit OddSessionsHeld(bool all = false)
        : all_(all)
    {
    }
    std::vector<bool> holds(const std::vector<SessionKey>& page) override
    {
        asked.clear(); // asked again: the page is listed anew
        std::vector<bool> held;
        for (const auto& key : page) {
            asked.emplace_back(key.id, key.usn);
            held.push_back(all_ || key.id % 2 == 1);
        }
        return held;
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> asked;

private:
    bool all_;
};

// A page is the sessions and usns a walk over the whole list gives at its place, asked once or again, after every
// kind of change to a session of its window: creation, a status change, its policy's removal, deletion.
TEST_F(SessionList, PagesAskedAgainFollowEveryChangeToTheirSessions)
{
    SessionFilter window;
    window.from = kBase + 2 * kDay + 5 * kHour;
    window.to = *window.from + kDay;
    SessionFilter backups;
    backups.types = {SessionType::PolicyBackup};
    SessionFilter of_policy;
    of_policy.policy_id = "policy-1";
    const std::vector<SessionFilter> filters{window, backups, of_policy, SessionFilter{}};
    using Keys = std::vector<std::pair<std::int64_t, std::int64_t>>;
    auto walk = [&](const SessionFilter& f) {
        auto cursor = store_->open_session_cursor(f);
        EXPECT_TRUE(cursor);
        Keys keys;
        domain::JobSession s;
        while (*(*cursor)->next(s)) {
            keys.emplace_back(s.id, s.usn);
        }
        return keys;
    };
    auto page = [&](const SessionFilter& f, std::int64_t offset, std::int64_t limit) {
        auto listed = page_of(f, offset, limit, nullptr);
        EXPECT_TRUE(listed);
        Keys keys;
        for (const auto& s : listed->sessions) {
            keys.emplace_back(s.id, s.usn);
        }
        return keys;
    };
    auto check_pages = [&] {
        for (const auto& f : filters) {
            const auto all = walk(f);
            for (const std::int64_t offset : {std::int64_t{0}, std::int64_t{7}}) {
                const auto from = std::min(all.size(), static_cast<std::size_t>(offset));
                const Keys expected(all.begin() + static_cast<std::ptrdiff_t>(from),
                                    all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), from + 10)));
                // First with nothing read: the keys alone must be current.
                OddSessionsHeld all_held(true);
                auto none_read = page_of(f, offset, 10, &all_held);
                ASSERT_TRUE(none_read);
                EXPECT_EQ(all_held.asked, expected);
                EXPECT_TRUE(none_read->sessions.empty());
                EXPECT_EQ(page(f, offset, 10), expected);
                EXPECT_EQ(page(f, offset, 10), expected); // asked again
                OddSessionsHeld known;
                auto listed = page_of(f, offset, 10, &known);
                ASSERT_TRUE(listed);
                EXPECT_EQ(known.asked, expected);
                Keys read;
                for (const auto& s : listed->sessions) {
                    read.emplace_back(s.id, s.usn);
                }
                Keys not_held;
                std::copy_if(expected.begin(), expected.end(), std::back_inserter(not_held),
                             [](const auto& key) { return key.first % 2 == 0; });
                EXPECT_EQ(read, not_held);
            }
        }
    };
    check_pages();

    NewSession s;
    s.type = SessionType::PolicyBackup;
    s.status = SessionStatus::Running;
    s.start_time = *window.from + kHour;
    s.backup_info = domain::BackupJobInfo{"policy-1", "Nightly policy-1", 1, false};
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    check_pages();

    auto done = *created;
    done.status = SessionStatus::Success;
    done.stop_time = done.start_time + kMinute;
    auto replaced = store_->replace_session(done, created->usn, nullptr);
    ASSERT_TRUE(replaced);
    ASSERT_NE(replaced->usn, created->usn);
    check_pages();

    domain::Policy policy;
    policy.id = "policy-1";
    policy.name = "Nightly policy-1";
    policy.command = {"true"};
    ASSERT_TRUE(store_->create_policy(policy));
    auto marked = store_->delete_policy(policy.id);
    ASSERT_TRUE(marked);
    ASSERT_FALSE(marked->empty());
    check_pages();
    auto removed = store_->get_session(created->id);
    ASSERT_TRUE(removed);
    ASSERT_NE(removed->usn, replaced->usn);
    const auto window_page = page(window, 0, 100);
    EXPECT_NE(std::find(window_page.begin(), window_page.end(), std::pair{created->id, removed->usn}),
              window_page.end());

    ASSERT_TRUE(store_->delete_old_sessions(std::nullopt, *window.from + 2 * kHour, 1000));
    check_pages();
}

// Readers asking for a window's first page while a writer adds newer sessions to it and then changes them: no page
// ever misses a write acknowledged before it was asked, whether its sessions are read or held (run under TSan by
// the sanitizer preset).
TEST_F(SessionList, PagesKeptNeverLagTheWritesAcknowledgedBeforeThem)
{
    SessionFilter window;
    window.from = kBase + 20 * kDay;
    window.to = *window.from + kDay;
    std::atomic<util::Micros> acknowledged{0};
    std::atomic<std::int64_t> newest_usn{0};
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        NewSession s;
        s.status = SessionStatus::Running;
        for (int i = 0; i < 200; ++i) {
            s.start_time = *window.from + i * kMinute;
            auto created = store_->create_session(s, nullptr);
            ASSERT_TRUE(created);
            acknowledged.store(created->start_time);
            newest_usn.store(created->usn);
            auto done = *created;
            done.status = SessionStatus::Success;
            done.stop_time = done.start_time;
            auto replaced = store_->replace_session(done, created->usn, nullptr);
            ASSERT_TRUE(replaced);
            newest_usn.store(replaced->usn);
        }
        writing = false;
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&, r] {
            while (writing) {
                const auto start_before = acknowledged.load();
                const auto usn_before = newest_usn.load();
                OddSessionsHeld known;
                if (r == 1) {
                    store_->begin_read_round();
                }
                auto page = page_of(window, 0, 3, &known);
                if (r == 1) {
                    store_->end_read_round();
                }
                ASSERT_TRUE(page);
                if (start_before == 0) {
                    continue;
                }
                // The newest session comes first; its usn is at least the one acknowledged before.
                ASSERT_FALSE(known.asked.empty());
                ASSERT_GE(known.asked.front().second, usn_before);
                ASSERT_EQ(page->sessions.size(),
                          static_cast<std::size_t>(std::count_if(known.asked.begin(), known.asked.end(),
                                                                 [](const auto& key) { return key.first % 2 == 0; })));
            }
        });
    }
    writer.join();
    for (auto& reader : readers) {
        reader.join();
    }
    EXPECT_EQ(page_of(window, 0, 3, nullptr)->total_count, 200);
}

TEST_F(SessionList, EveryCountIsServedFromAnIndexOrTheCounts)
{
    const util::Micros busy_day = kBase / kDay * kDay + 20 * kDay;
    std::vector<NewSession> busy(2500);
    for (std::size_t i = 0; i < busy.size(); ++i) {
        busy[i].type = i % 2 == 0 ? SessionType::PolicyBackup : SessionType::HealthCheck;
        busy[i].status = SessionStatus::Success;
        busy[i].start_time = busy_day + static_cast<util::Micros>(i) * util::kMicrosPerSecond;
        busy[i].created_by = 1;
        if (i % 3 == 0) {
            busy[i].backup_info = domain::BackupJobInfo{"policy-1", "Nightly policy-1", 1, false};
        }
    }
    ASSERT_TRUE(store_->import_sessions(busy));
    std::vector<SessionFilter> filters;
    for (auto f : one_filter_of_each_kind()) {
        filters.push_back(f);
        for (const auto& [from, to] : {std::pair{kBase + kDay / 3, kBase + 3 * kDay + kDay / 2},
                                       std::pair{busy_day + kHour / 6 + 17, busy_day + 3 * kHour + 23}}) {
            f.from = from;
            f.to = to;
            filters.push_back(f);
        }
    }
    filters.back().text = "night";
    bool summed_hours = false;
    bool summed_minutes = false;
    for (const auto& f : filters) {
        const auto plan = store_->count_query_plans(f);
        ASSERT_FALSE(plan.empty());
        summed_hours = summed_hours || plan.find("session_hour_counts USING PRIMARY KEY") != std::string::npos;
        summed_minutes = summed_minutes || plan.find("session_minute_counts USING PRIMARY KEY") != std::string::npos;
        std::istringstream lines(plan);
        for (std::string line; std::getline(lines, line);) {
            // Only the totals without time are read whole: a row per type, status and creator (and policy).
            if (line.rfind("SCAN", 0) == 0) {
                EXPECT_TRUE(line == "SCAN session_totals" || line == "SCAN session_policy_totals") << plan;
            } else {
                EXPECT_TRUE(line.find("USING INDEX sessions_by_") != std::string::npos ||
                            line.find("USING COVERING INDEX sessions_by_") != std::string::npos ||
                            line.find("USING PRIMARY KEY") != std::string::npos)
                    << plan;
            }
        }
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    }
    EXPECT_TRUE(summed_hours && summed_minutes);
}

// A page skips its offset in the index alone: the key walk of every filter an index answers whole never reads
// the table; then the page's rows are read by their ids.
TEST_F(SessionList, PagesSkipTheirOffsetInACoveringIndex)
{
    const auto filters = one_filter_of_each_kind();
    for (const auto& f : filters) {
        const auto plan = store_->list_query_plans(f, true);
        EXPECT_NE(plan.find("USING COVERING INDEX sessions_by_"), std::string::npos) << plan;
        EXPECT_NE(plan.find("SEARCH sessions USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << plan;
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    }
}

} // namespace
} // namespace jobsessions::store
