// SPDX-License-Identifier: Apache-2.0
// Lookups of sessions by id that wait on an event loop instead of a thread, on a real PostgreSQL server: each gets
// its own answer however many are out at once, a write acknowledged before a lookup is seen, a connection the
// database ended is replaced without failing the lookup, and an unreachable database fails lookups at once.
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

} // namespace
} // namespace jobsessions::store::postgres
