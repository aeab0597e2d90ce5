// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/postgres/connection.hpp"

#include "jobsessions/util/strings.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <libpq-fe.h>
#include <utility>

namespace jobsessions::store::postgres {
namespace {

/// Notices (a NOTICE from a DDL statement, say) are not errors; libpq would print them on stderr.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

/// libpq's message without its trailing newline.
std::string message_of(const char* text)
{
    std::string message = text != nullptr ? text : "";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message;
}

} // namespace

void quiet_notices(pg_conn* connection)
{
    PQsetNoticeProcessor(connection, &ignore_notice, nullptr);
}

ConnectParams connect_params(const std::string& conninfo)
{
    return ConnectParams{{"dbname", "fallback_application_name", nullptr}, {conninfo.c_str(), "jobsessiond", nullptr}};
}

std::string error_message(const pg_conn* connection)
{
    return connection != nullptr ? message_of(PQerrorMessage(connection)) : "out of memory";
}

std::string hex_of(std::string_view bytes)
{
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(kDigits[b >> 4U]);
        out.push_back(kDigits[b & 0x0FU]);
    }
    return out;
}

std::string bytes_of(std::string_view hex)
{
    std::string out;
    out.reserve(hex.size() / 2);
    const auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1])));
    }
    return out;
}

Rows::Rows(pg_result* result) noexcept
    : result_(result)
{
}

Rows::~Rows()
{
    if (result_ != nullptr) {
        PQclear(result_);
    }
}

Rows::Rows(Rows&& other) noexcept
    : result_(std::exchange(other.result_, nullptr))
{
}

Rows& Rows::operator=(Rows&& other) noexcept
{
    if (this != &other) {
        if (result_ != nullptr) {
            PQclear(result_);
        }
        result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
}

int Rows::count() const noexcept
{
    return PQntuples(result_);
}

bool Rows::null(int row, int column) const noexcept
{
    return PQgetisnull(result_, row, column) != 0;
}

std::string_view Rows::text(int row, int column) const noexcept
{
    return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t Rows::int64(int row, int column) const noexcept
{
    return optional_int64(row, column).value_or(0);
}

std::optional<std::int64_t> Rows::optional_int64(int row, int column) const noexcept
{
    if (null(row, column)) {
        return std::nullopt;
    }
    return util::parse_int64(text(row, column));
}

bool Rows::boolean(int row, int column) const noexcept
{
    return !null(row, column) && text(row, column) == "t";
}

std::int64_t Rows::affected() const noexcept
{
    return util::parse_int64(PQcmdTuples(result_)).value_or(0);
}

StoreError error_of(pg_result* result, pg_conn* connection)
{
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = message_of(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection));
    if (message.empty()) {
        message = message_of(PQerrorMessage(connection));
    }
    if (state != nullptr) {
        const std::string_view code = state;
        if (code == "23505") { // unique_violation
            return {StoreErrc::Conflict, message};
        }
        if (code == "40001" || code == "40P01" || code == "55P03") { // serialization, deadlock, lock not available
            return {StoreErrc::Busy, message};
        }
    }
    return {StoreErrc::Unavailable, message};
}

Connection::Connection(pg_conn* connection) noexcept
    : connection_(connection)
{
}

Connection::~Connection()
{
    PQfinish(connection_);
}

// A PostgreSQL array literal of integers: {1,2,3}.
std::string int_array(const std::vector<std::int64_t>& values)
{
    std::string out = "{";
    for (const auto v : values) {
        if (out.size() > 1) {
            out.push_back(',');
        }
        util::append_int(out, v);
    }
    out.push_back('}');
    return out;
}

// A PostgreSQL array literal of texts, each quoted and escaped: {"a","b\"c"}.
std::string text_array(const std::vector<std::string>& values)
{
    std::string out = "{";
    for (const auto& v : values) {
        if (out.size() > 1) {
            out.push_back(',');
        }
        out.push_back('"');
        for (const char c : v) {
            if (c == '"' || c == '\\') {
                out.push_back('\\');
            }
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

Result<Rows> rows_of(pg_result* result, pg_conn* connection)
{
    const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        auto error = error_of(result, connection);
        if (result != nullptr) {
            PQclear(result);
        }
        return error;
    }
    return Rows(result);
}

namespace {

// Parameters as libpq takes them: text, or a null pointer for NULL.
std::vector<const char*> values_of(const std::vector<Param>& params)
{
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    return values;
}

} // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo)
{
    const auto params = connect_params(conninfo);
    pg_conn* connection = PQconnectdbParams(params.keywords.data(), params.values.data(), 1);
    if (connection == nullptr) {
        return StoreError{StoreErrc::Unavailable, "cannot connect to PostgreSQL: out of memory"};
    }
    if (PQstatus(connection) != CONNECTION_OK) {
        StoreError error{StoreErrc::Unavailable,
                         "cannot connect to PostgreSQL: " + message_of(PQerrorMessage(connection))};
        PQfinish(connection);
        return error;
    }
    quiet_notices(connection);
    return std::unique_ptr<Connection>(new Connection(connection));
}

void Connection::defer(Statement statement)
{
    notes_.deferred.push_back(std::move(statement));
}

Result<void> Connection::send_deferred()
{
    if (notes_.deferred.empty()) {
        return {};
    }
    if (auto sent = exec_pipelined({}); !sent) {
        return sent.error();
    }
    return {};
}

Result<Rows> Connection::exec(const char* sql, const std::vector<Param>& params)
{
    if (auto sent = send_deferred(); !sent) {
        return sent.error();
    }
    const auto values = values_of(params);
    pg_result* result =
        PQexecParams(connection_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    return rows_of(result, connection_);
}

const std::string* Connection::prepared_name(const char* sql) const
{
    const auto named = prepared_.find(sql);
    return named != prepared_.end() ? &named->second : nullptr;
}

const std::string& Connection::add_prepared(const char* sql)
{
    return prepared_.emplace(sql, next_name()).first->second;
}

std::string Connection::next_name()
{
    return "s" + std::to_string(++names_given_);
}

Result<Rows> Connection::exec_prepared(const char* sql, const std::vector<Param>& params)
{
    if (!notes_.deferred.empty()) {
        auto rows = exec_pipelined({Statement{sql, params}});
        if (!rows) {
            return rows.error();
        }
        return std::move(rows->front());
    }
    const std::string* name = prepared_name(sql);
    if (name == nullptr) {
        name = &add_prepared(sql);
        if (auto prepared = rows_of(
                PQprepare(connection_, name->c_str(), sql, static_cast<int>(params.size()), nullptr), connection_);
            !prepared) {
            prepared_.erase(sql);
            return prepared.error();
        }
    }
    return exec_named(*name, params);
}

Result<Rows> Connection::exec_built(const std::string& sql, const std::vector<Param>& params)
{
    if (auto sent = send_deferred(); !sent) {
        return sent.error();
    }
    auto named = built_.find(sql);
    if (named == built_.end()) {
        if (built_.size() >= kMaxBuiltStatements) {
            return exec(sql.c_str(), params);
        }
        std::string name = next_name();
        if (auto prepared =
                rows_of(PQprepare(connection_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr),
                        connection_);
            !prepared) {
            return prepared.error();
        }
        named = built_.emplace(sql, std::move(name)).first;
    }
    return exec_named(named->second, params);
}

Result<Rows> Connection::exec_named(const std::string& name, const std::vector<Param>& params)
{
    const auto values = values_of(params);
    pg_result* result =
        PQexecPrepared(connection_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
    return rows_of(result, connection_);
}

Result<std::vector<Rows>> Connection::exec_pipelined(const std::vector<Statement>& statements)
{
    const auto deferred = std::exchange(notes_.deferred, {});
    if (deferred.empty() && statements.empty()) {
        return std::vector<Rows>{};
    }
    if (PQenterPipelineMode(connection_) != 1) {
        return StoreError{StoreErrc::Unavailable, "cannot send statements together: " + error_message(connection_)};
    }
    // What was sent, in order, each with the number of its statement (the deferred ones first): the text of a
    // statement prepared in this pipeline (forgotten again if its preparation failed), or nullptr for a statement
    // run.
    std::vector<std::pair<const char*, std::size_t>> sent;
    std::size_t number = 0;
    const auto send_one = [&](const Statement& statement) -> bool {
        const std::string* name = prepared_name(statement.sql);
        if (name == nullptr) {
            name = &add_prepared(statement.sql);
            if (PQsendPrepare(connection_, name->c_str(), statement.sql, static_cast<int>(statement.params.size()),
                              nullptr) != 1) {
                prepared_.erase(statement.sql);
                return false;
            }
            sent.emplace_back(statement.sql, number);
        }
        const auto values = values_of(statement.params);
        if (PQsendQueryPrepared(connection_, name->c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                nullptr, 0) != 1) {
            return false;
        }
        sent.emplace_back(nullptr, number++);
        return true;
    };
    const auto send = [&]() -> bool {
        const auto all_sent = [&](const std::vector<Statement>& list) {
            return std::all_of(list.begin(), list.end(), send_one);
        };
        return all_sent(deferred) && all_sent(statements) && PQpipelineSync(connection_) == 1;
    };
    if (!send()) {
        broken_ = true;
        return StoreError{StoreErrc::Unavailable, "cannot send statements: " + error_message(connection_)};
    }
    // Each command's result (PGRES_PIPELINE_ABORTED after a failure) and a null pointer, then the sync's.
    std::optional<StoreError> failure;
    std::vector<Rows> rows;
    rows.reserve(statements.size());
    for (const auto& [prepared, statement] : sent) {
        pg_result* result = PQgetResult(connection_);
        if (result == nullptr) {
            broken_ = true;
            return StoreError{StoreErrc::Unavailable,
                              "the connection to PostgreSQL broke: " + error_message(connection_)};
        }
        const auto status = PQresultStatus(result);
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            if (prepared == nullptr && statement >= deferred.size()) {
                rows.emplace_back(result);
                result = nullptr;
            }
        } else {
            if (prepared != nullptr) {
                prepared_.erase(prepared);
            }
            if (status != PGRES_PIPELINE_ABORTED && !failure) {
                failure = error_of(result, connection_);
                notes_.deferred_failed = notes_.deferred_failed || statement < deferred.size();
            }
        }
        PQclear(result);
        while ((result = PQgetResult(connection_)) != nullptr) {
            PQclear(result);
        }
    }
    pg_result* sync = PQgetResult(connection_);
    const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || PQexitPipelineMode(connection_) != 1) {
        broken_ = true;
        return StoreError{StoreErrc::Unavailable, "the connection to PostgreSQL broke: " + error_message(connection_)};
    }
    if (failure) {
        return *failure;
    }
    return rows;
}

Result<void> Connection::run_script(const char* sql)
{
    if (auto sent = send_deferred(); !sent) {
        return sent.error();
    }
    if (auto done = rows_of(PQexec(connection_, sql), connection_); !done) {
        return done.error();
    }
    return {};
}

bool Connection::healthy() const noexcept
{
    return !broken_ && PQstatus(connection_) == CONNECTION_OK && PQtransactionStatus(connection_) == PQTRANS_IDLE;
}

bool Connection::still_open() noexcept
{
    if (!healthy()) {
        return false;
    }
    pollfd ready{PQsocket(connection_), POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0) {
        return true; // nothing sent while it was idle (or nothing to tell: it is tried)
    }
    broken_ = true; // a message, or the end of the stream, on a connection nobody asked anything
    return false;
}

Result<std::vector<std::string>> Connection::wait_for_notifications(int interrupt_fd, std::chrono::milliseconds timeout)
{
    std::vector<std::string> payloads;
    const auto take = [&] {
        while (PGnotify* notification = PQnotifies(connection_)) {
            payloads.emplace_back(notification->extra);
            PQfreemem(notification);
        }
    };
    take(); // those that came in with the results of earlier statements
    if (!payloads.empty()) {
        return payloads;
    }
    const int socket = PQsocket(connection_);
    if (socket < 0) {
        return StoreError{StoreErrc::Unavailable, "the connection to PostgreSQL is closed"};
    }
    std::array<pollfd, 2> watched{pollfd{socket, POLLIN, 0}, pollfd{interrupt_fd, POLLIN, 0}};
    const int ready = ::poll(watched.data(), interrupt_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno != EINTR) {
        return StoreError{StoreErrc::Unavailable,
                          std::string("cannot wait for notifications: ") + std::strerror(errno)};
    }
    if (ready > 0 && (watched[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        if (PQconsumeInput(connection_) == 0 || PQstatus(connection_) != CONNECTION_OK) {
            return StoreError{StoreErrc::Unavailable,
                              "the connection to PostgreSQL broke: " + message_of(PQerrorMessage(connection_))};
        }
        take();
    }
    return payloads;
}

ConnectionPool::ConnectionPool(std::string conninfo, std::size_t size)
    : conninfo_(std::move(conninfo))
    , size_(size == 0 ? 1 : size)
{
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept
    : pool_(&pool)
    , connection_(std::move(connection))
{
}

ConnectionPool::Lease::~Lease()
{
    if (pool_ != nullptr && connection_ != nullptr) {
        pool_->give_back(std::move(connection_));
    }
}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr))
    , connection_(std::move(other.connection_))
{
}

Result<ConnectionPool::Lease> ConnectionPool::acquire()
{
    std::vector<std::unique_ptr<Connection>> ended; // closed after the lock is released
    std::unique_lock lock(mutex_);
    if (waiting_.empty()) {
        while (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            if (connection->still_open()) {
                return Lease(*this, std::move(connection));
            }
            // Ended by the server while idle: closed, and its place free for a new one.
            ended.push_back(std::move(connection));
            --open_;
        }
        if (open_ < size_) {
            ++open_; // counted before connecting, so that no more than size_ are ever opened at once
            lock.unlock();
            return open_counted();
        }
    }
    const auto me = std::make_shared<Waiter>();
    waiting_.push_back(me);
    me->served.wait(lock, [&] { return me->ready; });
    if (me->handed) {
        return Lease(*this, std::move(me->handed));
    }
    lock.unlock();
    return open_counted(); // the place of a connection that was closed, counted for this thread
}

Result<void> ConnectionPool::fill()
{
    std::vector<Lease> opened; // lent until all are open, then given back together
    while (true) {
        {
            const std::lock_guard lock(mutex_);
            if (open_ >= size_) {
                return {};
            }
            ++open_;
        }
        auto lease = open_counted();
        if (!lease) {
            return lease.error();
        }
        opened.push_back(std::move(*lease));
    }
}

Result<ConnectionPool::Lease> ConnectionPool::open_counted()
{
    auto opened = Connection::open(conninfo_);
    if (!opened) {
        give_back(nullptr); // the next waiter tries in this place, else it is free again
        return opened.error();
    }
    return Lease(*this, std::move(*opened));
}

std::shared_ptr<ConnectionPool::Waiter> ConnectionPool::serve_first(std::unique_ptr<Connection>& connection)
{
    if (waiting_.empty()) {
        return nullptr;
    }
    auto first = std::move(waiting_.front());
    waiting_.pop_front();
    first->handed = std::move(connection);
    first->ready = true;
    return first;
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) noexcept
{
    std::unique_ptr<Connection> broken; // closed after the lock is released
    if (connection != nullptr && !connection->healthy()) {
        broken = std::move(connection); // its place goes to the first waiter, who opens a new one
    }
    std::shared_ptr<Waiter> served;
    {
        const std::lock_guard lock(mutex_);
        served = serve_first(connection);
        if (served == nullptr && connection != nullptr) {
            idle_.push_back(std::move(connection));
        } else if (served == nullptr) {
            --open_; // a place nobody waits for is free again
        }
    }
    if (served != nullptr) {
        served->served.notify_one();
    }
}

std::size_t ConnectionPool::open_connections()
{
    std::lock_guard lock(mutex_);
    return open_;
}

std::size_t ConnectionPool::waiting_threads()
{
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

} // namespace jobsessions::store::postgres
