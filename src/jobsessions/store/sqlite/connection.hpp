// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store_error.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace jobsessions::store::sqlite {

/// Maps an SQLite result code (extended or primary) to a store error code.
StoreErrc map_error(int sqlite_code) noexcept;

/// A prepared statement; reset and unbound when the Statement goes out of scope, ready for the next use.
/// Not thread-safe: it belongs to one connection, used by one thread at a time.
class Statement {
public:
    /// Wraps a statement of `db`: one of the connection's cache (reset when done), or one of its own (`owned`,
    /// finalized when done).
    Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned = false) noexcept
        : db_(db)
        , stmt_(stmt)
        , owned_(owned)
    {
    }
    ~Statement();
    Statement(Statement&& other) noexcept
        : db_(other.db_)
        , stmt_(std::exchange(other.stmt_, nullptr))
        , owned_(other.owned_)
    {
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;

    /// Binds parameter `index` (1-based).
    void bind(int index, std::int64_t value);
    /// Binds a text parameter; the text is copied.
    void bind(int index, std::string_view value);
    /// Binds a blob parameter; the bytes are copied.
    void bind_blob(int index, std::string_view value);
    /// Binds NULL.
    void bind_null(int index);
    /// Binds a value or NULL.
    void bind(int index, const std::optional<std::int64_t>& value);
    /// Binds a text or NULL.
    void bind(int index, const std::optional<std::string>& value);

    /// Runs one step: true while a row is ready; false when done; a StoreError on failure.
    Result<bool> step();
    /// Runs a statement that returns no rows.
    Result<void> run();
    /// Makes the statement ready to run again with new bindings.
    void reset();

    /// Column accessors for the current row (0-based).
    [[nodiscard]] std::int64_t column_int64(int index) const;
    [[nodiscard]] std::string_view column_text(int index) const;
    [[nodiscard]] std::string_view column_blob(int index) const;
    [[nodiscard]] bool column_is_null(int index) const;
    /// Whether the column holds a blob (rather than text, a number or null).
    [[nodiscard]] bool column_is_blob(int index) const;
    [[nodiscard]] std::optional<std::int64_t> column_optional_int64(int index) const;

    /// The SQLite query plan of this statement, one line per step (EXPLAIN QUERY PLAN), for tests.
    [[nodiscard]] std::string query_plan() const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
    bool owned_ = false;
};

/// One SQLite connection with a cache of prepared statements. Not thread-safe: one thread uses it at a time.
class Connection {
public:
    /// Opens `path`; creates the file when `create` is set.
    static Result<std::unique_ptr<Connection>> open(const std::string& path, bool create);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs one or more statements that return no rows.
    Result<void> exec(const char* sql);
    /// Returns the cached prepared statement for `sql` (a named constant: it is cached by address).
    Result<Statement> prepare(const char* sql);
    /// Runs the cached statement for `sql` (a named constant without parameters that returns no rows, such as
    /// BEGIN or COMMIT).
    Result<void> run(const char* sql);
    /// Prepares a statement of its own for SQL built at run time; it is finalized when the Statement goes.
    Result<Statement> prepare_owned(const std::string& sql);
    /// The cached prepared statement for SQL built at run time (filters give a few dozen shapes, their values
    /// are bound). The caller must not hold two Statements of the same text at once: use prepare_owned for the
    /// second. Past kMaxRuntimeStatements shapes, new ones are prepared owned rather than cached.
    Result<Statement> prepare_cached(const std::string& sql);
    /// The raw handle, for the few calls that need it.
    [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
    /// The last error text of this connection.
    [[nodiscard]] std::string last_error() const;

private:
    explicit Connection(sqlite3* db) noexcept
        : db_(db)
    {
    }
    sqlite3* db_;
    static constexpr std::size_t kMaxRuntimeStatements = 256;
    std::unordered_map<const char*, sqlite3_stmt*> statements_;
    std::unordered_map<std::string, sqlite3_stmt*> runtime_statements_;
};

/// Builds a StoreError from a connection's last failure.
StoreError make_error(sqlite3* db, int code, std::string_view what);

/// Runs `sql` (a named constant without parameters whose first row's first column is a number) and returns that
/// number; Unavailable naming `what` ("the usn counter") when there is no row.
Result<std::int64_t> select_number(Connection& db, const char* sql, std::string_view what);

/// Runs `sql` (a named constant selecting at most one row) with `key` bound to ?1 and returns `read(row)`, a
/// Result; NotFound naming `what` ("session not found") when there is no row.
template <class Key, class Read>
auto select_one(Connection& db, const char* sql, const Key& key, std::string_view what, Read&& read)
    -> decltype(read(std::declval<const Statement&>()))
{
    auto stmt = db.prepare(sql);
    if (!stmt) {
        return stmt.error();
    }
    stmt->bind(1, key);
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return StoreError{StoreErrc::NotFound, std::string(what)};
    }
    return read(*stmt);
}

/// Steps `stmt` to its end, reading each row with `read` (which returns a Result<T>).
template <class T, class Read>
Result<std::vector<T>> read_rows(Statement& stmt, Read&& read, std::size_t expected_rows = 0)
{
    std::vector<T> rows;
    rows.reserve(expected_rows);
    while (true) {
        auto row = stmt.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return rows;
        }
        auto value = read(stmt);
        if (!value) {
            return value.error();
        }
        rows.push_back(std::move(*value));
    }
}

} // namespace jobsessions::store::sqlite
