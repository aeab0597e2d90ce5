// SPDX-License-Identifier: Apache-2.0
// The store contract for deep pages and time windows over months: a backend may place a deep page or count a
// window from counts it keeps per hour, day or month, but what it answers is what a plain model of the sessions
// says, after creations, changes and deletions too.
#include "store/list_model.hpp"
#include "store/store_contract.hpp"

#include <random>
#include <string>
#include <vector>

namespace jobsessions::store {
namespace {

using domain::JobSession;
using domain::SessionStatus;
using domain::SessionType;

constexpr util::Micros kDay = util::kMicrosPerDay;
constexpr util::Micros kHour = 3600 * util::kMicrosPerSecond;
constexpr util::Micros kFirst = 1'750'000'000'000'000 - 7 * kHour; // mid 2025, not at a midnight
constexpr int kDays = 150;
constexpr int kSessions = 6'000;
constexpr util::Micros kBusyDay = 80;

class DeepPageContract : public StoreContractTest {
protected:
    void SetUp() override
    {
        StoreContractTest::SetUp();
        std::mt19937 random(11);
        std::vector<NewSession> batch;
        for (int i = 0; i < kSessions; ++i) {
            NewSession s;
            // Mostly one type and status, so that their lists are deep too.
            s.type = random() % 5 < 3 ? SessionType::PolicyBackup : SessionType::HealthCheck;
            s.status = random() % 4 < 3 ? SessionStatus::Success : SessionStatus::Warning;
            // Every tenth shares the previous one's start (ties go by id); some days have none; the day from 80
            // days after the first has most, so that its hours are deep too.
            const auto day = i % 2 == 1 ? kBusyDay : static_cast<util::Micros>(random() % kDays);
            s.start_time = i % 10 == 9     ? batch.back().start_time
                           : day % 13 == 5 ? kFirst
                                           : kFirst + day * kDay + static_cast<util::Micros>(random() % kDay);
            s.stop_time = s.start_time + 60 * util::kMicrosPerSecond;
            s.created_by = 1 + i % 2;
            if (i % 3 != 0) {
                const auto policy = "policy-" + std::to_string(i % 2);
                s.backup_info = domain::BackupJobInfo{policy, "Nightly " + policy, 1, false};
            }
            batch.push_back(s);
        }
        ASSERT_TRUE(store_->import_sessions(batch));
        auto all = store_->changed_sessions(0, kSessions + 1, std::nullopt);
        ASSERT_TRUE(all);
        ASSERT_EQ(all->size(), static_cast<std::size_t>(kSessions));
        model_ = std::move(*all);
    }

    /// The filter's count and its pages at the offsets that matter for a deep page: the first ones, either side
    /// of where a backend may start to place pages by counts, deep ones at random and the last ones.
    void expect_pages(const SessionFilter& f, const std::string& what)
    {
        SCOPED_TRACE(what);
        const auto all = listed_by_model(model_, f);
        const auto total = static_cast<std::int64_t>(all.size());
        auto count = store_->count_sessions(f);
        ASSERT_TRUE(count) << count.error().message;
        EXPECT_EQ(*count, total);
        std::vector<std::int64_t> offsets = {0,         1,         29,         999,       1'999, 2'000,    2'001,
                                             total / 3, total / 2, total - 31, total - 1, total, total + 5};
        std::mt19937 random(static_cast<unsigned>(total));
        for (int i = 0; i < 20 && total > 0; ++i) {
            offsets.push_back(static_cast<std::int64_t>(random() % static_cast<unsigned>(total)));
        }
        for (const auto offset : offsets) {
            if (offset < 0) {
                continue;
            }
            for (const std::int64_t limit : {1, 30}) {
                auto keys = store_->list_session_keys(f, offset, limit);
                ASSERT_TRUE(keys) << keys.error().message;
                EXPECT_EQ(keys->total_count, total);
                std::vector<std::int64_t> listed;
                for (const auto& key : keys->keys) {
                    listed.push_back(key.id);
                }
                if (keys->sessions) { // the rows given with the keys, when the backend gives them
                    std::vector<SessionKey> of_rows;
                    for (const auto& row : *keys->sessions) {
                        of_rows.push_back(SessionKey{row.id, row.usn});
                    }
                    EXPECT_EQ(of_rows, keys->keys) << "offset " << offset << ", limit " << limit;
                }
                std::vector<std::int64_t> wanted;
                for (auto at = offset; at < std::min(total, offset + limit); ++at) {
                    wanted.push_back(all[static_cast<std::size_t>(at)].id);
                }
                ASSERT_EQ(listed, wanted) << "offset " << offset << ", limit " << limit;
            }
        }
    }

    void expect_every_filter(const std::string& when)
    {
        expect_pages({}, when + ": no filter");
        SessionFilter f;
        f.types = {SessionType::PolicyBackup};
        expect_pages(f, when + ": a type");
        f.statuses = {SessionStatus::Success};
        expect_pages(f, when + ": a type and a status");
        f = {};
        f.policy_id = "policy-1";
        expect_pages(f, when + ": a policy");
        f = {};
        f.created_by = 2;
        expect_pages(f, when + ": a creator");
        f = {};
        f.from = kFirst + 20 * kDay + 5 * kHour + 17;
        f.to = kFirst + 130 * kDay + 3 * kHour;
        expect_pages(f, when + ": a window over periods, edges within days");
        f.types = {SessionType::PolicyBackup};
        expect_pages(f, when + ": the window and a type");
        f.types = {SessionType::HealthCheck, SessionType::PolicyBackup, SessionType::HealthCheck};
        f.statuses = {SessionStatus::Warning};
        expect_pages(f, when + ": the window, two types (one named twice) and a status");
        f = {};
        f.types = {SessionType::PolicyBackup, SessionType::HealthCheck};
        expect_pages(f, when + ": two types");
        f = {};
        f.statuses = {SessionStatus::Warning, SessionStatus::Success};
        f.policy_id = "policy-0";
        expect_pages(f, when + ": two statuses and a policy");
        f = {};
        f.from = util::floor_div(kFirst, kDay) * kDay + 40 * kDay;
        f.to = f.from.value() + 64 * kDay;
        expect_pages(f, when + ": a window from midnight to midnight");
        f = {};
        f.from = kFirst + 60 * kDay;
        expect_pages(f, when + ": from only");
        f = {};
        f.to = kFirst + 100 * kDay + kHour;
        expect_pages(f, when + ": to only");
        f = {};
        f.from = kFirst + 70 * kDay + 20 * kHour;
        f.to = kFirst + 71 * kDay + 2 * kHour;
        expect_pages(f, when + ": a window across one midnight");
        f = {};
        f.from = kFirst + kBusyDay * kDay + 2 * kHour + 61 * util::kMicrosPerSecond;
        f.to = kFirst + kBusyDay * kDay + 2 * kHour + 59 * util::kMicrosPerMinute;
        expect_pages(f, when + ": a window within an hour");
        f.to = kFirst + kBusyDay * kDay + 3 * kHour + 7;
        expect_pages(f, when + ": a window across the start of one hour");
        f.to = kFirst + kBusyDay * kDay + 13 * kHour + 7;
        expect_pages(f, when + ": a window of hours within a day");
        f.to = kFirst + (kBusyDay + 1) * kDay + 13 * kHour + 7;
        expect_pages(f, when + ": a window of hours across a midnight");
        f.policy_id = "policy-1";
        expect_pages(f, when + ": the window and a policy");
        f.to = kFirst + (kBusyDay + 3) * kDay + 13 * kHour + 7;
        expect_pages(f, when + ": a window of days and a policy");
        f = {};
        f.from = kFirst + 90 * kDay;
        f.to = kFirst + 10 * kDay;
        expect_pages(f, when + ": a window that ends before it begins");
        f = {};
        f.text = "policy-0";
        expect_pages(f, when + ": text");
    }

    std::vector<JobSession> model_;
};

TEST_P(DeepPageContract, DeepPagesAndWindowsListAsTheModel)
{
    expect_every_filter("at first");
}

TEST_P(DeepPageContract, DeepPagesFollowChangesCreationsAndDeletions)
{
    // Sessions change status (and so the counts they are kept under) in days across the store.
    for (std::size_t i = 0; i < model_.size(); i += 97) {
        auto next = model_[i];
        next.status = SessionStatus::Error;
        auto replaced = store_->replace_session(next, model_[i].usn, nullptr);
        ASSERT_TRUE(replaced) << replaced.error().message;
        model_[i] = *replaced;
    }
    // New sessions in old days and in new ones.
    for (int i = 0; i < 40; ++i) {
        auto s = running(i % 2 == 0 ? SessionType::PolicyBackup : SessionType::HealthCheck);
        s.start_time = kFirst + (i * 7 % kDays) * kDay + i * kHour / 4;
        auto created = store_->create_session(s, nullptr);
        ASSERT_TRUE(created) << created.error().message;
        model_.push_back(*created);
    }
    // Retention takes the finished sessions of the first 45 days.
    const auto before = kFirst + 45 * kDay;
    for (;;) {
        auto deleted = store_->delete_old_sessions(std::nullopt, before, 1'000);
        ASSERT_TRUE(deleted) << deleted.error().message;
        if (deleted->sessions == 0) {
            break;
        }
    }
    std::erase_if(model_, [&](const JobSession& s) { return s.stop_time && s.start_time < before; });
    expect_every_filter("after changes");
}

// A backend may keep what a deep page passed over for the next one: after each kind of write, the pages listed
// again are those of the store as it now is, not as it was when they were first listed.
TEST_P(DeepPageContract, DeepPagesListedBeforeAWriteFollowIt)
{
    expect_every_filter("at first");
    expect_every_filter("again");

    auto next = model_[model_.size() / 2];
    next.status = SessionStatus::Error;
    auto replaced = store_->replace_session(next, next.usn, nullptr);
    ASSERT_TRUE(replaced) << replaced.error().message;
    model_[model_.size() / 2] = *replaced;
    expect_every_filter("after a change of status");

    auto s = running(SessionType::PolicyBackup);
    s.start_time = kFirst + 100 * kDay + kHour;
    auto created = store_->create_session(s, nullptr);
    ASSERT_TRUE(created) << created.error().message;
    model_.push_back(*created);
    expect_every_filter("after a creation");

    const auto before = kFirst + 10 * kDay;
    auto deleted = store_->delete_old_sessions(std::nullopt, before, 100'000);
    ASSERT_TRUE(deleted) << deleted.error().message;
    ASSERT_GT(deleted->sessions, 0);
    std::erase_if(model_, [&](const JobSession& m) { return m.stop_time && m.start_time < before; });
    expect_every_filter("after a deletion");
}

INSTANTIATE_TEST_SUITE_P(Backends, DeepPageContract, contract_backends(), backend_name);

} // namespace
} // namespace jobsessions::store
