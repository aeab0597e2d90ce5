// SPDX-License-Identifier: Apache-2.0
// Lookups of sessions by id that wait on an event loop instead of a thread, on a real PostgreSQL server: each gets
// its own answer however many are out at once (pages of logs and the sessions' version too), a write acknowledged
// before a lookup is seen, a connection the database ended is replaced without failing the lookup, and an
// unreachable database fails lookups at once.
#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/postgres/session_lookups.hpp"

#include "support/postgres_cluster.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

class PostgresSessionLookups : public test::PostgresDatabaseTest {
protected:
    void SetUp() override
    {
        test::PostgresDatabaseTest::SetUp();
        auto opened = PgStore::open(conninfo_, 2);
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
    }

    domain::JobSession create(domain::SessionType type)
    {
        NewSession s;
        s.type = type;
        s.start_time = 1'700'000'000'000'000;
        s.created_by = 1;
        auto created = store_->create_session(s, nullptr);
        EXPECT_TRUE(created) << created.error().message;
        return *created;
    }

    /// Looks `id` up on `io` and runs the loop until the reply came.
    Result<domain::JobSession> look_up(boost::asio::io_context& io, std::int64_t id)
    {
        std::optional<Result<domain::JobSession>> reply;
        store_->get_session_later(id, io, [&](Result<domain::JobSession> r) { reply = std::move(r); });
        io.restart();
        while (!reply && io.run_one() > 0) {
        }
        EXPECT_TRUE(reply) << "no reply to the lookup of " << id;
        return reply ? std::move(*reply) : Result<domain::JobSession>(StoreError{});
    }

    /// Reads the sessions' version on `io` and runs the loop until the reply came.
    std::int64_t version(boost::asio::io_context& io)
    {
        std::optional<Result<std::int64_t>> reply;
        store_->sessions_version_later(io, [&](Result<std::int64_t> r) { reply = std::move(r); });
        io.restart();
        while (!reply && io.run_one() > 0) {
        }
        EXPECT_TRUE(reply) << "no reply to the version";
        EXPECT_TRUE(reply && *reply) << (reply ? reply->error().message : "");
        return reply && *reply ? **reply : -1;
    }

    std::unique_ptr<PgStore> store_;
};

TEST_F(PostgresSessionLookups, ManyLookupsOutAtOnceEachGetTheirOwnSession)
{
    ASSERT_TRUE(store_->looks_up_later());
    std::map<std::int64_t, domain::JobSession> sessions;
    for (const auto type :
         {domain::SessionType::PolicyBackup, domain::SessionType::PolicySnapshot, domain::SessionType::HealthCheck}) {
        const auto s = create(type);
        sessions.emplace(s.id, s);
    }
    const auto missing = sessions.rbegin()->first + 1000;

    boost::asio::io_context io;
    constexpr int kLookups = 1200; // more than one statement takes
    std::vector<std::int64_t> asked;
    std::vector<std::optional<Result<domain::JobSession>>> replies(kLookups);
    for (int i = 0; i < kLookups; ++i) {
        const auto id = i % 4 == 3 ? missing : std::next(sessions.begin(), i % 4)->first;
        asked.push_back(id);
        store_->get_session_later(id, io, [&replies, i](Result<domain::JobSession> r) {
            replies[static_cast<std::size_t>(i)] = std::move(r);
        });
    }
    io.run();
    for (int i = 0; i < kLookups; ++i) {
        const auto& reply = replies[static_cast<std::size_t>(i)];
        ASSERT_TRUE(reply) << "lookup " << i << " was never answered";
        const auto id = asked[static_cast<std::size_t>(i)];
        if (id == missing) {
            ASSERT_FALSE(*reply);
            EXPECT_EQ(reply->error().code, StoreErrc::NotFound);
            continue;
        }
        ASSERT_TRUE(*reply) << reply->error().message;
        EXPECT_EQ((*reply)->id, id);
        EXPECT_EQ((*reply)->type, sessions.at(id).type);
        EXPECT_EQ((*reply)->usn, sessions.at(id).usn);
    }
}

TEST_F(PostgresSessionLookups, AWriteAcknowledgedBeforeALookupIsSeenByIt)
{
    boost::asio::io_context io;
    auto session = create(domain::SessionType::PolicyBackup);
    auto first = look_up(io, session.id);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->status, domain::SessionStatus::Running);

    auto next = session;
    next.status = domain::SessionStatus::Success;
    next.stop_time = session.start_time + 1'000'000;
    auto written = store_->replace_session(next, session.usn, nullptr);
    ASSERT_TRUE(written) << written.error().message;
    auto second = look_up(io, session.id);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->status, domain::SessionStatus::Success);
    EXPECT_EQ(second->usn, written->usn);
}

TEST_F(PostgresSessionLookups, ALookupOnAConnectionTheDatabaseEndedIsAskedAgainOnANewOne)
{
    boost::asio::io_context io;
    const auto session = create(domain::SessionType::PolicyBackup);
    ASSERT_TRUE(look_up(io, session.id)); // the loop's connection is open now

    // Every other connection to this database ends, the loop's among them.
    ASSERT_GE(test::end_other_connections(conninfo_), 1);

    auto again = look_up(io, session.id);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->id, session.id);
}

TEST_F(PostgresSessionLookups, AnUnreachableDatabaseFailsLookupsAndThoseOfTheNextSecondAtOnce)
{
    boost::asio::io_context io;
    const std::string nowhere =
        "host=" + cluster().socket_directory() + "/nowhere user=postgres password=do-not-print-me dbname=x";
    std::optional<Result<domain::JobSession>> first;
    look_up_session(io, 1, nowhere, 7, [&](Result<domain::JobSession> r) { first = std::move(r); });
    io.run();
    ASSERT_TRUE(first);
    ASSERT_FALSE(*first);
    EXPECT_EQ(first->error().code, StoreErrc::Unavailable);
    EXPECT_EQ(first->error().message.find("do-not-print-me"), std::string::npos) << first->error().message;

    // Answered before the loop runs again: no new attempt to connect is made yet.
    std::optional<Result<domain::JobSession>> second;
    look_up_session(io, 1, nowhere, 7, [&](Result<domain::JobSession> r) { second = std::move(r); });
    ASSERT_TRUE(second);
    ASSERT_FALSE(*second);
    EXPECT_EQ(second->error().code, StoreErrc::Unavailable);
}

TEST_F(PostgresSessionLookups, LookupsStillOutWhenTheEventLoopEndsAreDroppedUnanswered)
{
    const auto session = create(domain::SessionType::PolicyBackup);
    auto held = std::make_shared<int>(0);
    int answered = 0;
    {
        boost::asio::io_context io;
        for (int i = 0; i < 10; ++i) {
            store_->get_session_later(session.id, io,
                                      [held, &answered](const Result<domain::JobSession>&) { ++answered; });
        }
        EXPECT_EQ(held.use_count(), 11);
    }
    EXPECT_EQ(answered, 0);
    EXPECT_EQ(held.use_count(), 1); // every reply went with the loop
    // The store still answers on a loop of its own.
    boost::asio::io_context io;
    EXPECT_TRUE(look_up(io, session.id));
}

TEST_F(PostgresSessionLookups, TheSessionsVersionMovesWithEveryWriteThatChangesAListAndOnlyThen)
{
    ASSERT_TRUE(store_->versions_sessions());
    boost::asio::io_context io;
    const auto at_start = version(io);
    EXPECT_EQ(version(io), at_start) << "nothing was written";

    auto session = create(domain::SessionType::PolicyBackup);
    const auto created = version(io);
    EXPECT_GT(created, at_start) << "a session created";

    auto next = session;
    next.status = domain::SessionStatus::Success;
    next.stop_time = session.start_time + 1'000'000;
    ASSERT_TRUE(store_->replace_session(next, session.usn, nullptr));
    const auto changed = version(io);
    EXPECT_GT(changed, created) << "a session changed";

    // Nothing to delete: nothing moves.
    auto none = store_->delete_old_sessions(std::nullopt, session.start_time - 1, 10);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_EQ(none->sessions, 0);
    EXPECT_EQ(version(io), changed);
    // Retention deleting a session moves it, though no usn is given out.
    const auto highest = store_->highest_usn();
    ASSERT_TRUE(highest);
    auto deleted = store_->delete_old_sessions(std::nullopt, session.start_time + 1, 10);
    ASSERT_TRUE(deleted) << deleted.error().message;
    EXPECT_EQ(deleted->sessions, 1);
    EXPECT_GT(version(io), changed) << "a session deleted";
    EXPECT_EQ(store_->highest_usn().value(), *highest);

    // Read with lookups in the same statement, each gets its own answer.
    std::optional<Result<std::int64_t>> read;
    std::optional<Result<domain::JobSession>> looked_up;
    const auto other = create(domain::SessionType::PolicySnapshot);
    store_->sessions_version_later(io, [&](Result<std::int64_t> r) { read = std::move(r); });
    store_->get_session_later(other.id, io, [&](Result<domain::JobSession> r) { looked_up = std::move(r); });
    io.restart();
    io.run();
    ASSERT_TRUE(read && *read);
    ASSERT_TRUE(looked_up && *looked_up);
    EXPECT_EQ((*looked_up)->id, other.id);
    EXPECT_EQ(**read, version(io));
}

TEST_F(PostgresSessionLookups, PagesOfLogsAskedTogetherEachGetTheirOwnEntriesAndCreator)
{
    // Two sessions by two creators, one with seven entries, one with none.
    auto written = create(domain::SessionType::PolicyBackup);
    std::vector<NewLogEntry> lines;
    for (int i = 1; i <= 7; ++i) {
        lines.push_back(
            NewLogEntry{1'700'000'000'000'000 + i, domain::SessionStatus::Warning, "line " + std::to_string(i), 5, i});
    }
    ASSERT_TRUE(store_->append_log(written.id, lines, nullptr));
    NewSession quiet_session;
    quiet_session.created_by = 2;
    auto quiet = store_->create_session(quiet_session, nullptr);
    ASSERT_TRUE(quiet) << quiet.error().message;
    const auto missing = quiet->id + 1000;

    struct Asked {
        std::int64_t id;
        std::int64_t offset;
        std::int64_t limit;
        std::vector<std::string> messages; // empty with not_found: the session is not there
        bool not_found = false;
        std::int64_t created_by = 1;
    };
    const std::vector<Asked> asked = {
        {written.id, 0, 3, {"line 1", "line 2", "line 3"}},
        {missing, 0, 3, {}, true},
        {written.id, 5, -1, {"line 6", "line 7"}},
        {quiet->id, 0, 30, {}, false, 2},
        {written.id, 2, 1, {"line 3"}},
        {written.id, 7, 30, {}},
    };
    boost::asio::io_context io;
    std::vector<std::optional<Result<LogPage>>> replies(asked.size());
    // A lookup of a session among them goes in a statement of its own, in its turn.
    std::optional<Result<domain::JobSession>> looked_up;
    for (std::size_t i = 0; i < asked.size(); ++i) {
        store_->get_log_later(asked[i].id, asked[i].offset, asked[i].limit, io,
                              [&replies, i](Result<LogPage> r) { replies[i] = std::move(r); });
        if (i == 2) {
            store_->get_session_later(quiet->id, io, [&](Result<domain::JobSession> r) { looked_up = std::move(r); });
        }
    }
    io.run();
    ASSERT_TRUE(looked_up && *looked_up);
    EXPECT_EQ((*looked_up)->created_by, 2);
    for (std::size_t i = 0; i < asked.size(); ++i) {
        SCOPED_TRACE("page " + std::to_string(i));
        ASSERT_TRUE(replies[i]) << "never answered";
        const auto& reply = *replies[i];
        if (asked[i].not_found) {
            ASSERT_FALSE(reply);
            EXPECT_EQ(reply.error().code, StoreErrc::NotFound);
            continue;
        }
        ASSERT_TRUE(reply) << reply.error().message;
        EXPECT_EQ(reply->created_by, asked[i].created_by);
        std::vector<std::string> messages;
        for (const auto& entry : reply->entries) {
            messages.push_back(entry.message);
            EXPECT_EQ(entry.session_id, asked[i].id);
        }
        EXPECT_EQ(messages, asked[i].messages);
    }
    // Each entry whole, as get_log reads it.
    const auto direct = store_->get_log(written.id, 0, -1);
    ASSERT_TRUE(direct);
    std::optional<Result<LogPage>> whole;
    store_->get_log_later(written.id, 0, -1, io, [&](Result<LogPage> r) { whole = std::move(r); });
    io.restart();
    io.run();
    ASSERT_TRUE(whole && *whole);
    EXPECT_EQ((*whole)->entries, *direct);
    EXPECT_EQ(direct->size(), 7U);
}

} // namespace
} // namespace jobsessions::store::postgres
