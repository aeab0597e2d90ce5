// SPDX-License-Identifier: Apache-2.0
// The store contract for lists, counts, cursors and the change feed: every filter alone and combined, paged at
// every offset, against a plain model of the same sessions. Backend-neutral: nothing here asks how a backend
// finds its answer (the SQLite suites check its query plans).
#include "jobsessions/util/strings.hpp"

#include "store/list_model.hpp"
#include "store/store_contract.hpp"

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace jobsessions::store {
namespace {

using domain::JobSession;
using domain::SessionStatus;
using domain::SessionType;

constexpr util::Micros kBase = 1'767'225'600'000'000; // 2026-01-01T00:00:00Z
constexpr util::Micros kHour = 3600 * util::kMicrosPerSecond;

class ListContract : public StoreContractTest {
protected:
    void SetUp() override
    {
        StoreContractTest::SetUp();
        std::mt19937 random(7);
        const SessionType types[] = {SessionType::PolicyBackup, SessionType::PolicySnapshot, SessionType::HealthCheck,
                                     SessionType::BackupRetention};
        const SessionStatus statuses[] = {SessionStatus::Success, SessionStatus::Warning, SessionStatus::Error,
                                          SessionStatus::Running};
        for (int i = 0; i < 120; ++i) {
            NewSession s;
            s.type = types[random() % 4];
            s.status = statuses[random() % 4];
            // Over three days; every seventh shares the previous one's start, so ties are ordered by id.
            s.start_time = i % 7 == 6 && !model_.empty() ? model_.back().start_time
                                                         : kBase + static_cast<util::Micros>(random() % (72 * kHour));
            if (s.status != SessionStatus::Running) {
                s.stop_time = s.start_time + 60 * util::kMicrosPerSecond;
            }
            s.created_by = 1 + i % 3;
            if (i % 4 != 0) {
                const auto policy = "policy-" + std::to_string(i % 5);
                s.backup_info =
                    domain::BackupJobInfo{policy, i % 5 == 2 ? "Weekly Archive" : "Nightly " + policy, i % 9, false};
            }
            auto created = store_->create_session(s, nullptr);
            ASSERT_TRUE(created) << created.error().message;
            model_.push_back(*created);
        }
    }

    /// The model's matching sessions in list order: newest start first, then highest id.
    std::vector<JobSession> expected(const SessionFilter& f) const { return listed_by_model(model_, f); }

    /// A page read the way the server reads it: its keys, then their rows. A backend that gives the rows with the
    /// keys gives the rows get_sessions reads.
    SessionPage page(const SessionFilter& f, std::int64_t offset, std::int64_t limit)
    {
        auto keys = store_->list_session_keys(f, offset, limit);
        EXPECT_TRUE(keys) << keys.error().message;
        SessionPage out;
        out.total_count = keys->total_count;
        auto rows = store_->get_sessions(keys->keys);
        EXPECT_TRUE(rows) << rows.error().message;
        EXPECT_EQ(rows->size(), keys->keys.size());
        for (std::size_t i = 0; i < rows->size() && i < keys->keys.size(); ++i) {
            EXPECT_EQ((*rows)[i].id, keys->keys[i].id);
            EXPECT_EQ((*rows)[i].usn, keys->keys[i].usn);
        }
        if (keys->sessions) {
            EXPECT_EQ(*keys->sessions, *rows);
        }
        out.sessions = std::move(*rows);
        return out;
    }

    void expect_lists(const SessionFilter& f, const std::string& what)
    {
        SCOPED_TRACE(what);
        const auto all = expected(f);
        const auto total = static_cast<std::int64_t>(all.size());
        auto count = store_->count_sessions(f);
        ASSERT_TRUE(count);
        EXPECT_EQ(*count, total);
        for (const std::int64_t limit : {1, 7, 30}) {
            for (std::int64_t offset = 0; offset <= total + 1; offset += limit) {
                const auto listed = page(f, offset, limit);
                EXPECT_EQ(listed.total_count, total);
                const auto from = std::min<std::size_t>(all.size(), static_cast<std::size_t>(offset));
                const auto to = std::min<std::size_t>(all.size(), from + static_cast<std::size_t>(limit));
                ASSERT_EQ(listed.sessions, std::vector<JobSession>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                                                   all.begin() + static_cast<std::ptrdiff_t>(to)))
                    << "offset " << offset << ", limit " << limit;
            }
        }
        EXPECT_EQ(page(f, 0, 0).sessions.size(), 0U);
        EXPECT_EQ(page(f, 0, 0).total_count, total);
        auto cursor = store_->open_session_cursor(f);
        ASSERT_TRUE(cursor);
        std::vector<JobSession> walked;
        JobSession s;
        for (;;) {
            auto more = (*cursor)->next(s);
            ASSERT_TRUE(more);
            if (!*more) {
                break;
            }
            walked.push_back(s);
        }
        EXPECT_EQ(walked, all);
    }

    std::vector<JobSession> model_;
};

TEST_P(ListContract, EveryFilterAloneAndCombinedListsCountsAndWalksAsTheModel)
{
    expect_lists({}, "no filter");
    SessionFilter f;
    f.types = {SessionType::PolicySnapshot};
    expect_lists(f, "one type");
    f.types = {SessionType::PolicySnapshot, SessionType::HealthCheck};
    expect_lists(f, "two types");
    f = {};
    f.statuses = {SessionStatus::Running, SessionStatus::Error};
    expect_lists(f, "statuses");
    f.types = {SessionType::PolicyBackup};
    expect_lists(f, "types and statuses");
    f = {};
    f.policy_id = "policy-3";
    expect_lists(f, "policy");
    f.statuses = {SessionStatus::Success};
    expect_lists(f, "policy and status");
    f = {};
    f.from = kBase + 20 * kHour + 17;
    f.to = kBase + 47 * kHour;
    expect_lists(f, "window");
    f.types = {SessionType::HealthCheck, SessionType::PolicyBackup};
    f.created_by = 2;
    expect_lists(f, "window, types and creator");
    f = {};
    f.from = kBase + 50 * kHour;
    expect_lists(f, "from only");
    f = {};
    f.to = kBase + 10 * kHour;
    expect_lists(f, "to only");
    f = {};
    f.text = "weekly";
    expect_lists(f, "text in policy names");
    f.text = "SNAPSHOT";
    expect_lists(f, "text in a type name, another case");
    f.text = "policy-1";
    f.statuses = {SessionStatus::Warning, SessionStatus::Success};
    expect_lists(f, "text and statuses");
    f = {};
    f.text = "nothing is called this";
    expect_lists(f, "text matching nothing");
    f = {};
    f.created_by = 3;
    expect_lists(f, "creator");
    f = {};
    f.usn_after = model_[90].usn;
    expect_lists(f, "usn");
    f.usn_after = 0;
    f.types = {SessionType::BackupRetention};
    expect_lists(f, "usn 0 and type");
    f = {};
    f.types = {SessionType::RepositoryEdit};
    expect_lists(f, "a type nobody has");
}

TEST_P(ListContract, ListsFollowEveryChange)
{
    SessionFilter unfinished;
    unfinished.statuses = {SessionStatus::Running};
    SessionFilter of_policy;
    of_policy.policy_id = "policy-1";
    SessionFilter window;
    window.from = kBase;
    window.to = kBase + 24 * kHour;
    const auto check = [&](const std::string& after) {
        expect_lists(unfinished, after + ": running");
        expect_lists(of_policy, after + ": policy");
        expect_lists(window, after + ": window");
        expect_lists({}, after + ": all");
    };
    check("at first");

    // A change: the session leaves the running list, with a new usn.
    auto it = std::find_if(model_.begin(), model_.end(), [](const JobSession& s) {
        return s.status == SessionStatus::Running && s.backup_info && s.backup_info->policy_id == "policy-1";
    });
    ASSERT_NE(it, model_.end());
    auto next = *it;
    next.status = SessionStatus::Success;
    next.stop_time = next.start_time + 1;
    auto replaced = store_->replace_session(next, it->usn, nullptr);
    ASSERT_TRUE(replaced);
    *it = *replaced;
    check("after a change");

    // A creation inside the window, newest of all.
    auto s = running();
    s.start_time = kBase + 23 * kHour;
    s.backup_info = domain::BackupJobInfo{"policy-1", "Nightly policy-1", 1, false};
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created);
    model_.push_back(*created);
    check("after a creation");

    // The policy's removal marks its sessions, each with a new usn.
    domain::Policy policy;
    policy.id = "policy-1";
    policy.name = "Nightly policy-1";
    policy.command = {"true"};
    ASSERT_TRUE(store_->create_policy(policy));
    auto marked = store_->delete_policy(policy.id);
    ASSERT_TRUE(marked);
    for (auto& m : model_) {
        if (m.backup_info && m.backup_info->policy_id == "policy-1") {
            auto read = store_->get_session(m.id);
            ASSERT_TRUE(read);
            EXPECT_TRUE(read->backup_info->policy_removed);
            EXPECT_GT(read->usn, m.usn);
            EXPECT_NE(std::find(marked->begin(), marked->end(), m.id), marked->end());
            m = *read;
        }
    }
    check("after the policy's removal");

    // Retention deletes finished sessions started before a time, with their logs.
    ASSERT_TRUE(store_->delete_old_sessions(std::nullopt, kBase + 12 * kHour, 1000));
    std::erase_if(model_, [&](const JobSession& m) {
        return m.status != SessionStatus::Running && m.start_time < kBase + 12 * kHour;
    });
    check("after retention");
}

TEST_P(ListContract, ARowReadAfterItsKeyShowsTheChangeWithANewUsn)
{
    auto keys = store_->list_session_keys({}, 0, 5);
    ASSERT_TRUE(keys);
    ASSERT_EQ(keys->keys.size(), 5U);
    auto current = store_->get_session(keys->keys[2].id);
    ASSERT_TRUE(current);
    auto next = *current;
    next.status = SessionStatus::Canceled;
    next.stop_time = next.start_time + 5;
    ASSERT_TRUE(store_->replace_session(next, current->usn, nullptr));
    auto rows = store_->get_sessions(keys->keys);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 5U);
    EXPECT_EQ((*rows)[2].id, keys->keys[2].id);
    EXPECT_NE((*rows)[2].usn, keys->keys[2].usn); // the caller sees it changed and lists again
    EXPECT_EQ((*rows)[2].status, SessionStatus::Canceled);
    // A deleted session is left out.
    const std::vector<SessionKey> with_missing{keys->keys[0], SessionKey{999'999, 1}, keys->keys[1]};
    rows = store_->get_sessions(with_missing);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2U);
    EXPECT_EQ((*rows)[0].id, keys->keys[0].id);
    EXPECT_EQ((*rows)[1].id, keys->keys[1].id);
}

TEST_P(ListContract, TheChangeFeedGivesEveryChangeOnceInUsnOrder)
{
    auto highest = store_->highest_usn();
    ASSERT_TRUE(highest);
    EXPECT_EQ(*highest, model_.back().usn);
    auto all = store_->changed_sessions(0, 1000, std::nullopt);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), model_.size());
    EXPECT_TRUE(std::is_sorted(all->begin(), all->end(),
                               [](const JobSession& a, const JobSession& b) { return a.usn < b.usn; }));
    EXPECT_EQ(*all, model_);
    // Paged by the last usn seen.
    std::vector<JobSession> paged;
    std::int64_t after = 0;
    for (;;) {
        auto part = store_->changed_sessions(after, 17, std::nullopt);
        ASSERT_TRUE(part);
        if (part->empty()) {
            break;
        }
        EXPECT_LE(part->size(), 17U);
        after = part->back().usn;
        paged.insert(paged.end(), part->begin(), part->end());
    }
    EXPECT_EQ(paged, model_);
    // A change moves a session to the end of the feed.
    auto next = model_[3];
    next.status = SessionStatus::Error;
    next.stop_time = next.start_time + 1;
    auto replaced = store_->replace_session(next, model_[3].usn, nullptr);
    ASSERT_TRUE(replaced);
    auto after_change = store_->changed_sessions(model_.back().usn, 1000, std::nullopt);
    ASSERT_TRUE(after_change);
    ASSERT_EQ(after_change->size(), 1U);
    EXPECT_EQ(after_change->front(), *replaced);
    EXPECT_EQ(*store_->highest_usn(), replaced->usn);
    // Only what one creator made.
    auto own = store_->changed_sessions(0, 1000, 2);
    ASSERT_TRUE(own);
    EXPECT_FALSE(own->empty());
    for (const auto& s : *own) {
        EXPECT_EQ(s.created_by, 2);
    }
    EXPECT_EQ(static_cast<std::int64_t>(own->size()),
              std::count_if(model_.begin(), model_.end(), [](const JobSession& s) { return s.created_by == 2; }));
}

TEST_P(ListContract, ImportedSessionsTakeUsnsInOrderWithTheirLogs)
{
    std::vector<NewSession> batch;
    for (int i = 0; i < 5; ++i) {
        auto s = running(SessionType::HealthCheck);
        s.status = SessionStatus::Success;
        s.start_time = kBase + 100 * kHour + i;
        s.stop_time = s.start_time + 10;
        s.log.push_back(NewLogEntry{s.start_time, SessionStatus::Success, "imported " + std::to_string(i), 0, 0});
        batch.push_back(s);
    }
    const auto before = *store_->highest_usn();
    ASSERT_TRUE(store_->import_sessions(batch));
    auto imported = store_->changed_sessions(before, 100, std::nullopt);
    ASSERT_TRUE(imported);
    ASSERT_EQ(imported->size(), 5U);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ((*imported)[i].start_time, batch[i].start_time);
        EXPECT_GT((*imported)[i].usn, i == 0 ? before : (*imported)[i - 1].usn);
        auto log = store_->get_log((*imported)[i].id, 0, -1);
        ASSERT_TRUE(log);
        ASSERT_EQ(log->size(), 1U);
        EXPECT_EQ(log->front().message, "imported " + std::to_string(i));
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, ListContract, contract_backends(), backend_name);

} // namespace
} // namespace jobsessions::store
