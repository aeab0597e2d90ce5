// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/session_lookups.hpp"

#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/store/postgres/session_rows.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <libpq-fe.h>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr const char* kSessionsStatement = "session_lookup";
// The sessions asked for, and the sessions' version on every row; one row with no session when none is found.
constexpr const char* kSelectSessions = "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS ", v.version"
                                        " FROM (SELECT " JOBSESSIONS_PG_SESSIONS_VERSION " AS version) AS v"
                                        " LEFT JOIN sessions ON sessions.id = ANY($1)";
constexpr const char* kLogStatement = "log_lookup";
// For each page asked for (numbered from 1 in the order of the arrays), its session's creator and its entries in
// order; one row without an entry for an empty page, and none when the session is not there.
constexpr const char* kSelectLogs =
    "SELECT asked.n, sessions.created_by, entries.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])"
    " WITH ORDINALITY AS asked (session_id, skip, take, n) JOIN sessions ON sessions.id = asked.session_id"
    " LEFT JOIN LATERAL (SELECT " JOBSESSIONS_PG_LOG_COLUMNS " FROM log_entries"
    "  WHERE log_entries.session_id = asked.session_id ORDER BY seq OFFSET asked.skip LIMIT NULLIF(asked.take, -1))"
    " AS entries ON true ORDER BY asked.n, entries.seq";
/// The statements each connection prepares, in order.
constexpr std::array<std::pair<const char*, const char*>, 2> kStatements = {
    {{kSessionsStatement, kSelectSessions}, {kLogStatement, kSelectLogs}}};

/// Where the version is, after the session's columns.
constexpr int kVersionColumn = kSessionColumnCount;
/// Lookups sent in one statement at most: a burst beyond it waits for the next round trip.
constexpr std::size_t kMaxBatch = 512;
/// How long lookups fail at once after the database could not be reached.
constexpr auto kRetryDelay = std::chrono::seconds(1);

/// What a lookup asks for: a session by id, the sessions' version (both read by the sessions statement), or a page
/// of a log (the log statement); each with its reply.
struct Lookup {
    std::int64_t id = 0;
    SessionReply reply;
    VersionReply version_reply;
    LogAsked log;
    LogReply log_reply;
    /// Asked once already on a connection that broke.
    bool retried = false;

    [[nodiscard]] bool reads_log() const noexcept { return static_cast<bool>(log_reply); }

    void fail(const StoreError& error) const
    {
        if (version_reply) {
            version_reply(error);
        } else if (log_reply) {
            log_reply(error);
        } else {
            reply(error);
        }
    }
};

/// One event loop's connection for lookups, and the lookups waiting for it. Used by that loop's thread alone.
class LookupChannel {
public:
    LookupChannel(asio::io_context& io, std::string conninfo)
        : conninfo_(std::move(conninfo))
        , socket_(io)
    {
    }
    ~LookupChannel() { close(); }
    LookupChannel(const LookupChannel&) = delete;
    LookupChannel& operator=(const LookupChannel&) = delete;

    void look_up(Lookup lookup)
    {
        if (state_ == State::Closed && Clock::now() < retry_after_) {
            lookup.fail(StoreError{StoreErrc::Unavailable, last_error_});
            return;
        }
        waiting_.push_back(std::move(lookup));
        pump();
    }

    /// The event loop is going: forget the lookups without answering them (their replies go with the loop).
    void drop() noexcept
    {
        waiting_.clear();
        asked_.clear();
        close();
    }

private:
    enum class State : std::uint8_t { Closed, Connecting, Preparing, Ready, Querying };
    using Step = void (LookupChannel::*)();

    /// Sends what waits when the connection can take it; opens it first if need be.
    void pump()
    {
        if (waiting_.empty()) {
            return;
        }
        if (state_ == State::Closed) {
            connect();
        } else if (state_ == State::Ready) {
            send();
        }
    }

    void connect()
    {
        const auto params = connect_params(conninfo_);
        connection_ = PQconnectStartParams(params.keywords.data(), params.values.data(), 1);
        if (connection_ == nullptr || PQstatus(connection_) == CONNECTION_BAD) {
            unreachable("cannot connect to PostgreSQL: " + error_message(connection_));
            return;
        }
        quiet_notices(connection_);
        state_ = State::Connecting;
        // As libpq asks: after PQconnectStart, wait as if PQconnectPoll had said "writing".
        wait(asio::posix::descriptor_base::wait_write, &LookupChannel::poll_connection);
    }

    void poll_connection()
    {
        switch (PQconnectPoll(connection_)) {
        case PGRES_POLLING_READING:
            wait(asio::posix::descriptor_base::wait_read, &LookupChannel::poll_connection);
            return;
        case PGRES_POLLING_WRITING:
            wait(asio::posix::descriptor_base::wait_write, &LookupChannel::poll_connection);
            return;
        case PGRES_POLLING_OK:
            break;
        default:
            unreachable("cannot connect to PostgreSQL: " + error_message(connection_));
            return;
        }
        if (PQsetnonblocking(connection_, 1) != 0) {
            unreachable("cannot make the connection for lookups non-blocking: " + error_message(connection_));
            return;
        }
        prepared_ = 0;
        prepare_next();
    }

    /// Prepares the next of kStatements.
    void prepare_next()
    {
        const auto& [name, sql] = kStatements.at(prepared_);
        if (PQsendPrepare(connection_, name, sql, 0, nullptr) == 0) {
            unreachable("cannot prepare the lookups: " + error_message(connection_));
            return;
        }
        state_ = State::Preparing;
        flush();
    }

    /// Sends the lookups of the kind that has waited longest (sessions or logs), up to kMaxBatch, in one statement;
    /// the others keep their turn.
    void send()
    {
        const bool logs = waiting_.front().reads_log();
        std::deque<Lookup> later;
        while (!waiting_.empty()) {
            if (waiting_.front().reads_log() == logs && asked_.size() < kMaxBatch) {
                asked_.push_back(std::move(waiting_.front()));
            } else {
                later.push_back(std::move(waiting_.front()));
            }
            waiting_.pop_front();
        }
        waiting_ = std::move(later);
        asking_logs_ = logs;
        const bool sent = logs ? send_logs() : send_sessions();
        if (!sent) {
            lost();
            return;
        }
        state_ = State::Querying;
        flush();
    }

    bool send_sessions()
    {
        std::vector<std::int64_t> ids;
        ids.reserve(asked_.size());
        for (const auto& lookup : asked_) {
            if (!lookup.version_reply) {
                ids.push_back(lookup.id);
            }
        }
        const auto array = int_array(ids);
        const char* values[] = {array.c_str()};
        return PQsendQueryPrepared(connection_, kSessionsStatement, 1, values, nullptr, nullptr, 0) != 0;
    }

    bool send_logs()
    {
        std::vector<std::int64_t> ids;
        std::vector<std::int64_t> offsets;
        std::vector<std::int64_t> limits;
        for (const auto& lookup : asked_) {
            ids.push_back(lookup.log.session_id);
            offsets.push_back(lookup.log.offset);
            limits.push_back(lookup.log.limit);
        }
        const std::array arrays = {int_array(ids), int_array(offsets), int_array(limits)};
        const char* values[] = {arrays[0].c_str(), arrays[1].c_str(), arrays[2].c_str()};
        return PQsendQueryPrepared(connection_, kLogStatement, 3, values, nullptr, nullptr, 0) != 0;
    }

    /// Sends what libpq holds, then waits for the answer.
    void flush()
    {
        const int left = PQflush(connection_);
        if (left < 0) {
            lost();
        } else if (left > 0) {
            wait(asio::posix::descriptor_base::wait_write, &LookupChannel::flush);
        } else {
            read();
        }
    }

    void read()
    {
        if (PQconsumeInput(connection_) == 0) {
            lost();
            return;
        }
        while (PQisBusy(connection_) == 0) {
            pg_result* result = PQgetResult(connection_);
            if (result == nullptr) {
                answered();
                return;
            }
            auto rows = rows_of(result, connection_);
            if (rows) {
                rows_.emplace(std::move(*rows));
            } else {
                failure_ = rows.error();
            }
        }
        wait(asio::posix::descriptor_base::wait_read, &LookupChannel::read);
    }

    /// The statement sent has been answered whole.
    void answered()
    {
        auto rows = std::exchange(rows_, std::nullopt);
        auto failure = std::exchange(failure_, std::nullopt);
        if (PQstatus(connection_) == CONNECTION_BAD) {
            lost();
            return;
        }
        if (state_ == State::Preparing) {
            if (failure) {
                unreachable("cannot prepare the lookups: " + failure->message);
                return;
            }
            if (++prepared_ < kStatements.size()) {
                prepare_next();
                return;
            }
            state_ = State::Ready;
            pump();
            return;
        }
        state_ = State::Ready;
        auto asked = std::exchange(asked_, {});
        if (failure || !rows) {
            for (auto& lookup : asked) {
                lookup.fail(failure.value_or(StoreError{StoreErrc::Unavailable, "no answer to a lookup"}));
            }
        } else if (asking_logs_) {
            answer_logs(asked, *rows);
        } else {
            answer_sessions(asked, *rows);
        }
        pump();
    }

    static void answer_sessions(std::vector<Lookup>& asked, const Rows& rows)
    {
        if (rows.count() == 0) { // the version's row is always there
            for (auto& lookup : asked) {
                lookup.fail(StoreError{StoreErrc::Corrupt, "the usn counter is missing"});
            }
            return;
        }
        std::unordered_map<std::int64_t, int> row_of;
        row_of.reserve(static_cast<std::size_t>(rows.count()));
        for (int r = 0; r < rows.count(); ++r) {
            if (!rows.null(r, 0)) {
                row_of.emplace(rows.int64(r, 0), r);
            }
        }
        const auto version = rows.int64(0, kVersionColumn);
        for (auto& lookup : asked) {
            if (lookup.version_reply) {
                lookup.version_reply(version);
                continue;
            }
            const auto found = row_of.find(lookup.id);
            if (found == row_of.end()) {
                lookup.reply(StoreError{StoreErrc::NotFound, "session not found"});
            } else {
                lookup.reply(read_session(rows, found->second));
            }
        }
    }

    /// Rows come in the order of the pages asked for (column 0, from 1), each page's in the order of its entries.
    static void answer_logs(std::vector<Lookup>& asked, const Rows& rows)
    {
        int r = 0;
        for (std::size_t i = 0; i < asked.size(); ++i) {
            auto& lookup = asked[i];
            const auto n = static_cast<std::int64_t>(i) + 1;
            if (r == rows.count() || rows.int64(r, 0) != n) {
                lookup.log_reply(StoreError{StoreErrc::NotFound, "session not found"});
                continue;
            }
            LogPage page;
            page.created_by = rows.int64(r, 1);
            std::optional<StoreError> corrupt;
            for (; r < rows.count() && rows.int64(r, 0) == n; ++r) {
                if (rows.null(r, 2)) {
                    continue; // a page without entries
                }
                auto entry = read_log_entry(rows, r, 2, lookup.log.session_id);
                if (!entry) {
                    corrupt = entry.error();
                    continue;
                }
                page.entries.push_back(std::move(*entry));
            }
            if (corrupt) {
                lookup.log_reply(*corrupt);
            } else {
                lookup.log_reply(std::move(page));
            }
        }
    }

    /// The connection failed: while it carried lookups, they are asked again once on a new one; while it was
    /// being opened, the database cannot be reached.
    void lost()
    {
        if (state_ != State::Querying && state_ != State::Ready) {
            unreachable("cannot connect to PostgreSQL: " + error_message(connection_));
            return;
        }
        const auto message = "the connection for lookups broke: " + error_message(connection_);
        close();
        std::vector<Lookup> failed;
        for (auto it = asked_.rbegin(); it != asked_.rend(); ++it) {
            if (it->retried) {
                failed.push_back(std::move(*it));
            } else {
                it->retried = true;
                waiting_.push_front(std::move(*it));
            }
        }
        asked_.clear();
        for (auto& lookup : failed) {
            lookup.fail(StoreError{StoreErrc::Unavailable, message});
        }
        pump();
    }

    /// The database cannot be reached: every lookup fails, and those of the next second too.
    void unreachable(std::string message)
    {
        close();
        last_error_ = std::move(message);
        retry_after_ = Clock::now() + kRetryDelay;
        std::vector<Lookup> failed;
        failed.reserve(asked_.size() + waiting_.size());
        std::move(asked_.begin(), asked_.end(), std::back_inserter(failed));
        std::move(waiting_.begin(), waiting_.end(), std::back_inserter(failed));
        asked_.clear();
        waiting_.clear();
        for (auto& lookup : failed) {
            lookup.fail(StoreError{StoreErrc::Unavailable, last_error_});
        }
    }

    /// Waits until the connection's socket is ready for `type`, then takes `next`.
    void wait(asio::posix::descriptor_base::wait_type type, Step next)
    {
        const int fd = PQsocket(connection_);
        if (fd < 0) {
            lost();
            return;
        }
        // libpq may move to another socket while connecting (another address of the host).
        if (!socket_.is_open() || socket_.native_handle() != fd) {
            unwatch_socket();
            boost::system::error_code ec;
            socket_.assign(fd, ec);
            if (ec) {
                unreachable("cannot watch the connection for lookups: " + ec.message());
                return;
            }
        }
        socket_.async_wait(type, [this, next, generation = generation_](const boost::system::error_code& ec) {
            if (generation != generation_ || ec == asio::error::operation_aborted) {
                return; // the connection it was for has closed
            }
            if (ec) {
                lost();
                return;
            }
            (this->*next)();
        });
    }

    /// Stops watching the connection's socket, leaving it open: libpq owns the descriptor and closes it. Waits on
    /// it end as aborted.
    void unwatch_socket() noexcept
    {
        if (socket_.is_open()) {
            socket_.release(); // returns the descriptor, which libpq holds already
        }
    }

    void close() noexcept
    {
        ++generation_;
        unwatch_socket();
        if (connection_ != nullptr) {
            PQfinish(connection_);
            connection_ = nullptr;
        }
        rows_.reset();
        failure_.reset();
        state_ = State::Closed;
    }

    const std::string conninfo_;
    asio::posix::stream_descriptor socket_;
    pg_conn* connection_ = nullptr;
    State state_ = State::Closed;
    /// Bumped when the connection closes, so that a wait for the old one does nothing when it ends.
    std::uint64_t generation_ = 0;
    /// How many of kStatements the connection has prepared.
    std::size_t prepared_ = 0;
    std::deque<Lookup> waiting_;
    std::vector<Lookup> asked_;
    /// The statement out is the log statement.
    bool asking_logs_ = false;
    std::optional<Rows> rows_;
    std::optional<StoreError> failure_;
    Clock::time_point retry_after_{};
    std::string last_error_;
};

/// The channels of one event loop, one per store; they close with it.
class LookupChannels final : public asio::execution_context::service {
public:
    static asio::execution_context::id id; // NOLINT(readability-identifier-naming): the name Asio looks for

    explicit LookupChannels(asio::execution_context& owner)
        : asio::execution_context::service(owner)
    {
    }

    LookupChannel& channel(asio::io_context& io, std::uint64_t store_key, const std::string& conninfo)
    {
        auto& channel = channels_[store_key];
        if (!channel) {
            channel = std::make_unique<LookupChannel>(io, conninfo);
        }
        return *channel;
    }

private:
    // The channels go while every service of the loop still stands: theirs (the descriptors') may have been made
    // after this one and so be destroyed before it.
    void shutdown() override
    {
        for (auto& [store_key, channel] : channels_) {
            channel->drop();
        }
        channels_.clear();
    }

    std::unordered_map<std::uint64_t, std::unique_ptr<LookupChannel>> channels_;
};

asio::execution_context::id LookupChannels::id;

void look_up(asio::io_context& io, std::uint64_t store_key, const std::string& conninfo, Lookup lookup)
{
    auto& channels = asio::use_service<LookupChannels>(static_cast<asio::execution_context&>(io));
    channels.channel(io, store_key, conninfo).look_up(std::move(lookup));
}

} // namespace

void look_up_session(asio::io_context& io, std::uint64_t store_key, const std::string& conninfo, std::int64_t id,
                     SessionReply reply)
{
    Lookup lookup;
    lookup.id = id;
    lookup.reply = std::move(reply);
    look_up(io, store_key, conninfo, std::move(lookup));
}

void read_sessions_version(asio::io_context& io, std::uint64_t store_key, const std::string& conninfo,
                           VersionReply reply)
{
    Lookup lookup;
    lookup.version_reply = std::move(reply);
    look_up(io, store_key, conninfo, std::move(lookup));
}

void read_log(asio::io_context& io, std::uint64_t store_key, const std::string& conninfo, LogAsked asked,
              LogReply reply)
{
    Lookup lookup;
    lookup.log = asked;
    lookup.log_reply = std::move(reply);
    look_up(io, store_key, conninfo, std::move(lookup));
}

} // namespace jobsessions::store::postgres
