// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store_error.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace jobsessions::store::postgres {

/// One parameter of a statement, in PostgreSQL's text form: a value, or NULL.
using Param = std::optional<std::string>;

/// A parameter from an integer.
inline Param param(std::int64_t value)
{
    return std::to_string(value);
}
/// A parameter from an int.
inline Param param(int value)
{
    return std::to_string(value);
}
/// A parameter from an optional integer (nullopt: NULL).
inline Param param_or_null(std::optional<std::int64_t> value)
{
    return value ? Param(std::to_string(*value)) : std::nullopt;
}
/// A parameter from text.
inline Param param(std::string_view value)
{
    return std::string(value);
}
/// A parameter from a flag (PostgreSQL's boolean text form).
inline Param flag(bool value)
{
    return std::string(value ? "t" : "f");
}

/// A PostgreSQL array literal of integers: {1,2,3}.
std::string int_array(const std::vector<std::int64_t>& values);
/// A PostgreSQL array literal of texts, each quoted and escaped: {"a","b\"c"}.
std::string text_array(const std::vector<std::string>& values);

/// Bytes as lower-case hex, the form bytea columns take through decode($n, 'hex').
std::string hex_of(std::string_view bytes);
/// The bytes of lower-case hex, as encode(column, 'hex') reads a bytea column.
std::string bytes_of(std::string_view hex);

/// The rows a statement returned, read by row and column; values are text, as PostgreSQL sends them.
class Rows {
public:
    explicit Rows(pg_result* result) noexcept;
    ~Rows();
    Rows(Rows&& other) noexcept;
    Rows& operator=(Rows&& other) noexcept;
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;

    [[nodiscard]] int count() const noexcept;
    [[nodiscard]] bool null(int row, int column) const noexcept;
    [[nodiscard]] std::string_view text(int row, int column) const noexcept;
    /// An integer column; 0 when NULL.
    [[nodiscard]] std::int64_t int64(int row, int column) const noexcept;
    [[nodiscard]] std::optional<std::int64_t> optional_int64(int row, int column) const noexcept;
    [[nodiscard]] bool boolean(int row, int column) const noexcept;
    /// How many rows an INSERT, UPDATE or DELETE touched.
    [[nodiscard]] std::int64_t affected() const noexcept;

private:
    pg_result* result_;
};

/// The key of a kept count of sessions.
struct CountKey {
    std::string type;
    std::string status;
    std::int64_t created_by = 0;
    std::optional<std::string> policy_id;
    /// The hour the session started in (UTC hours since 1970, floored).
    std::int64_t hour = 0;
    bool operator<(const CountKey& other) const
    {
        return std::tie(type, status, created_by, policy_id, hour) <
               std::tie(other.type, other.status, other.created_by, other.policy_id, other.hour);
    }
};

/// A statement of a pipeline: a named constant, as exec_prepared takes, with its parameters.
struct Statement {
    const char* sql;
    std::vector<Param> params;
};

/// What the statements of a transaction leave for its end (schema.hpp: announce, next_usn, count_session,
/// settle_transaction).
struct TransactionNotes {
    /// Changes to the kept counts of sessions.
    std::map<CountKey, std::int64_t> counts;
    /// Payloads to announce once, just before the transaction commits.
    std::vector<std::string> announcements;
    /// In a batch of writes that locked the usn counter at its start: the last usn handed out.
    std::optional<std::int64_t> usn;
    /// Whether a usn was handed out from `usn` (then the counter is written back).
    bool usn_moved = false;
    /// Session ids reserved from the sessions' sequence at the start of a batch of writes, for the sessions it
    /// creates (take_session_id).
    std::deque<std::int64_t> session_ids;
    /// Statements whose rows nobody reads, sent ahead of the next statement on the connection, in its round trip
    /// (Connection::defer).
    std::vector<Statement> deferred;
    /// Whether a deferred statement failed: the transaction is aborted, by a write that had returned already.
    bool deferred_failed = false;
};

/// One libpq connection. Not thread-safe: one thread uses it at a time (the pool hands it out).
class Connection {
public:
    /// Connects with a libpq connection string or postgresql:// URI. The error never repeats the string (it may
    /// hold a password).
    static Result<std::unique_ptr<Connection>> open(const std::string& conninfo);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs one statement with its parameters ($1, $2, ...), sent apart from the text: never spliced into it.
    Result<Rows> exec(const char* sql, const std::vector<Param>& params = {});
    /// As exec, for a named constant: prepared on this connection the first time (cached by its address, so it
    /// must live as long as the program), so PostgreSQL parses and plans it once per connection.
    Result<Rows> exec_prepared(const char* sql, const std::vector<Param>& params = {});
    /// As exec_prepared, for a statement whose text is built at run time from a bounded set of shapes (a list's
    /// filter): prepared the first time its text is seen, up to kMaxBuiltStatements texts on this connection, and
    /// run unprepared beyond them.
    Result<Rows> exec_built(const std::string& sql, const std::vector<Param>& params);
    static constexpr std::size_t kMaxBuiltStatements = 256;
    /// Runs statements one after another as exec_prepared does, sent together and answered together: one round
    /// trip for all (libpq's pipeline mode). A statement after one that failed is not run, and the error is the
    /// first failure's. Returns each statement's rows, in order. The deferred statements go first, in the same
    /// round trip (as they do ahead of every other way to run a statement); their rows are not returned.
    Result<std::vector<Rows>> exec_pipelined(const std::vector<Statement>& statements);
    /// Runs a script of several statements without parameters (a schema step).
    Result<void> run_script(const char* sql);
    /// Queues a statement whose rows nobody reads (an INSERT of values all known) in the transaction's notes: it is
    /// sent ahead of the next statement run on this connection, in the same round trip, so that it costs none of its
    /// own. When it fails, that next statement fails with its error, and notes().deferred_failed tells so.
    void defer(Statement statement);
    /// Whether the connection still works (a broken one is dropped by the pool, not reused).
    [[nodiscard]] bool healthy() const noexcept;
    /// As healthy(), for a connection that was idle, and without a round trip: an idle connection that does not
    /// listen is sent nothing unless the server ended it (a restart, an administrator, an idle timeout), so
    /// anything to read on it, its last message or the end of the stream, makes it broken here, before a statement
    /// fails on it.
    [[nodiscard]] bool still_open() noexcept;
    /// Waits until notifications arrive on the channels this connection listens to (LISTEN), `interrupt_fd`
    /// becomes readable or `timeout` passes; returns the payloads that arrived (none after a timeout or an
    /// interrupt). An error when the connection broke.
    Result<std::vector<std::string>> wait_for_notifications(int interrupt_fd, std::chrono::milliseconds timeout);

    /// The current transaction's notes.
    TransactionNotes& notes() noexcept { return notes_; }

private:
    explicit Connection(pg_conn* connection) noexcept;
    /// The name of `sql` prepared on this connection, or nullptr when it is not prepared yet.
    const std::string* prepared_name(const char* sql) const;
    /// Gives `sql` a new name to be prepared under (forgotten again if it fails to prepare).
    const std::string& add_prepared(const char* sql);
    /// A name no statement on this connection had (exec_prepared's and exec_built's share one sequence).
    std::string next_name();
    /// Runs the statement prepared on this connection under `name`.
    Result<Rows> exec_named(const std::string& name, const std::vector<Param>& params);
    /// Sends the deferred statements, if any, in one round trip.
    Result<void> send_deferred();

    pg_conn* connection_;
    /// Set when a pipeline could not be sent or read to its end: the connection is in an unknown state.
    bool broken_ = false;
    TransactionNotes notes_;
    /// The statements prepared on this connection, by the address of their text: their names.
    std::unordered_map<const char*, std::string> prepared_;
    /// The statements of exec_built prepared on this connection, by their text: their names.
    std::unordered_map<std::string, std::string> built_;
    /// How many names were given: each statement prepared gets a new one, even after one failed to prepare.
    std::size_t names_given_ = 0;
};

/// A statement's result as Rows, or its failure as a store error (the result freed).
Result<Rows> rows_of(pg_result* result, pg_conn* connection);
/// libpq's last error on `connection` without its trailing newline ("out of memory" for a connection libpq could
/// not even allocate). Never the connection string.
std::string error_message(const pg_conn* connection);
/// Keeps the server's notices (a NOTICE from a DDL statement, say), which are not errors, off stderr.
void quiet_notices(pg_conn* connection);

/// What a connection is opened with (PQconnectdbParams and PQconnectStartParams, expanding the dbname): `conninfo`
/// (a URI or key=value pairs) and, unless it names one, "jobsessiond" as the application name, which
/// pg_stat_activity shows. The values point into `conninfo`, which must outlive them.
struct ConnectParams {
    std::array<const char*, 3> keywords{};
    std::array<const char*, 3> values{};
};
ConnectParams connect_params(const std::string& conninfo);

/// The failure of a statement as a store error: a unique violation is Conflict, a serialization failure or a
/// deadlock Busy, anything else Unavailable (the message for the server's log only).
StoreError error_of(pg_result* result, pg_conn* connection);

/// A bounded set of connections shared by threads. A thread borrows one for a statement or a transaction and gives
/// it back; connections are opened when first needed, and a broken one is replaced by a new one next time. Threads
/// that wait for one are served in the order they came: a few connections serve many threads without any of them
/// waiting for long. Thread-safe.
class ConnectionPool {
public:
    ConnectionPool(std::string conninfo, std::size_t size);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    /// A borrowed connection, given back when this goes.
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept;
        ~Lease();
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    /// A connection: an idle one, a new one while fewer than `size` are open, else the next one given back (or
    /// closed) once the threads that waited before this one have theirs.
    Result<Lease> acquire();

    /// Opens the connections not open yet, up to `size`, and keeps them idle: the first requests then do not each
    /// wait for a backend to be started and to authenticate. The error of the first that could not be opened (too
    /// many connections for the server's max_connections, say), which the caller reports at start.
    Result<void> fill();

    /// Runs `body(connection)` in one transaction: committed when it returns a value, rolled back when it returns
    /// an error (which is returned). `body` returns a Result. Counts, announcements or usns it notes must be
    /// settled before it returns (settle_transaction): else it is refused (Corrupt) and rolled back.
    template <class Body> auto transaction(Body&& body) -> decltype(body(std::declval<Connection&>()));

    /// Connections open now (idle and lent).
    [[nodiscard]] std::size_t open_connections();
    /// Threads waiting for a connection now.
    [[nodiscard]] std::size_t waiting_threads();

private:
    /// A thread waiting for a connection: it is handed one given back, or the right to open one in place of one
    /// that was closed. Shared by the waiter and the thread serving it, which wakes it after releasing the lock
    /// (woken under it, the waiter would only wake to wait for the lock).
    struct Waiter {
        std::condition_variable served;
        bool ready = false;
        std::unique_ptr<Connection> handed;
    };

    /// Gives a connection back (to the first waiter, else to the idle ones), or the place of one that broke or
    /// (null) could not be opened: the first waiter opens one in it, else it is free again.
    void give_back(std::unique_ptr<Connection> connection) noexcept;
    /// Opens a connection in a place already counted in open_, which is given up when opening fails.
    Result<Lease> open_counted();
    /// Serves the first waiter, if any, with `connection` (or, when null, a place to open one in), and returns it
    /// to be woken once mutex_ is released; null when nobody waits. Called with mutex_ held.
    std::shared_ptr<Waiter> serve_first(std::unique_ptr<Connection>& connection);

    const std::string conninfo_;
    const std::size_t size_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::deque<std::shared_ptr<Waiter>> waiting_;
    std::size_t open_ = 0;
};

template <class Body> auto ConnectionPool::transaction(Body&& body) -> decltype(body(std::declval<Connection&>()))
{
    auto lease = acquire();
    if (!lease) {
        return lease.error();
    }
    (*lease)->notes() = TransactionNotes{};
    if (auto begun = (*lease)->exec("BEGIN"); !begun) {
        return begun.error();
    }
    auto result = body(**lease);
    // What a body notes for its transaction's end (counts, announcements, a usn) is sent by settle_transaction
    // (or the writer's commit_transaction): committed without it, the notes would be lost, and the other servers would
    // never hear of the change. A bug, refused rather than committed.
    if (const auto& notes = (*lease)->notes();
        result && (notes.usn_moved || !notes.counts.empty() || !notes.announcements.empty())) {
        result =
            StoreError{StoreErrc::Corrupt, "a transaction ended with counts, announcements or usns left unsettled"};
    }
    if (!result) {
        (*lease)->notes() = TransactionNotes{}; // nothing it deferred is sent
        if (auto rolled_back = (*lease)->exec("ROLLBACK"); !rolled_back) {
            // The connection is broken (the pool drops it); the server ends the transaction with the session.
            return result.error();
        }
        return result;
    }
    if (auto committed = (*lease)->exec("COMMIT"); !committed) {
        return committed.error();
    }
    return result;
}

} // namespace jobsessions::store::postgres
