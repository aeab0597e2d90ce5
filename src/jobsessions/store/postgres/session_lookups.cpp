// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/session_lookups.hpp"

#include "jobsessions/store/postgres/session_rows.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <libpq-fe.h>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jobsessions::store::postgres {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr const char* kStatementName = "session_lookup";
constexpr const char* kSelectSessions = "SELECT " JOBSESSIONS_PG_SESSION_COLUMNS " FROM sessions WHERE id = ANY($1)";
/// Ids sent in one statement at most: a burst beyond it waits for the next round trip.
constexpr std::size_t kMaxBatch = 512;
/// How long lookups fail at once after the database could not be reached.
constexpr auto kRetryDelay = std::chrono::seconds(1);

struct Lookup {
    std::int64_t id = 0;
    SessionReply reply;
    /// Asked once already on a connection that broke.
    bool retried = false;
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

    void look_up(std::int64_t id, SessionReply reply)
    {
        if (state_ == State::Closed && Clock::now() < retry_after_) {
            reply(StoreError{StoreErrc::Unavailable, last_error_});
            return;
        }
        waiting_.push_back({id, std::move(reply), false});
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
        connection_ = PQconnectStart(conninfo_.c_str());
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
        if (PQsetnonblocking(connection_, 1) != 0 ||
            PQsendPrepare(connection_, kStatementName, kSelectSessions, 1, nullptr) == 0) {
            unreachable("cannot prepare the lookup of sessions: " + error_message(connection_));
            return;
        }
        state_ = State::Preparing;
        flush();
    }

    void send()
    {
        const std::size_t n = std::min(waiting_.size(), kMaxBatch);
        std::vector<std::int64_t> ids;
        ids.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            ids.push_back(waiting_.front().id);
            asked_.push_back(std::move(waiting_.front()));
            waiting_.pop_front();
        }
        const auto array = int_array(ids);
        const char* values[] = {array.c_str()};
        if (PQsendQueryPrepared(connection_, kStatementName, 1, values, nullptr, nullptr, 0) == 0) {
            lost();
            return;
        }
        state_ = State::Querying;
        flush();
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
                unreachable("cannot prepare the lookup of sessions: " + failure->message);
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
                lookup.reply(failure.value_or(StoreError{StoreErrc::Unavailable, "no answer to a lookup"}));
            }
        } else {
            std::unordered_map<std::int64_t, int> row_of;
            row_of.reserve(static_cast<std::size_t>(rows->count()));
            for (int r = 0; r < rows->count(); ++r) {
                row_of.emplace(rows->int64(r, 0), r);
            }
            for (auto& lookup : asked) {
                const auto found = row_of.find(lookup.id);
                if (found == row_of.end()) {
                    lookup.reply(StoreError{StoreErrc::NotFound, "session not found"});
                } else {
                    lookup.reply(read_session(*rows, found->second));
                }
            }
        }
        pump();
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
            lookup.reply(StoreError{StoreErrc::Unavailable, message});
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
            lookup.reply(StoreError{StoreErrc::Unavailable, last_error_});
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
    std::deque<Lookup> waiting_;
    std::vector<Lookup> asked_;
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

} // namespace

void look_up_session(asio::io_context& io, std::uint64_t store_key, const std::string& conninfo, std::int64_t id,
                     SessionReply reply)
{
    auto& channels = asio::use_service<LookupChannels>(static_cast<asio::execution_context&>(io));
    channels.channel(io, store_key, conninfo).look_up(id, std::move(reply));
}

} // namespace jobsessions::store::postgres
