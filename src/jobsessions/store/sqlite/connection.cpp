// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <memory>

namespace jobsessions::store::sqlite {

StoreErrc map_error(int sqlite_code) noexcept
{
    switch (sqlite_code & 0xff) {
    case SQLITE_CONSTRAINT:
        return StoreErrc::Conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return StoreErrc::Busy;
    case SQLITE_NOTFOUND:
        return StoreErrc::NotFound;
    default:
        return StoreErrc::Unavailable;
    }
}

StoreError make_error(sqlite3* db, int code, std::string_view what)
{
    std::string message(what);
    message += ": ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    return StoreError{map_error(code), std::move(message)};
}

Statement::~Statement()
{
    if (stmt_ == nullptr) {
        return;
    }
    if (owned_) {
        sqlite3_finalize(stmt_);
        return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

void Statement::bind(int index, std::int64_t value)
{
    sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind(int index, std::string_view value)
{
    sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Statement::bind_blob(int index, std::string_view value)
{
    sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT);
}

void Statement::bind_null(int index)
{
    sqlite3_bind_null(stmt_, index);
}

void Statement::bind(int index, const std::optional<std::int64_t>& value)
{
    if (value) {
        bind(index, *value);
    } else {
        bind_null(index);
    }
}

void Statement::bind(int index, const std::optional<std::string>& value)
{
    if (value) {
        bind(index, std::string_view(*value));
    } else {
        bind_null(index);
    }
}

Result<bool> Statement::step()
{
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return make_error(db_, sqlite3_extended_errcode(db_), "step");
}

Result<void> Statement::run()
{
    auto stepped = step();
    if (!stepped) {
        return stepped.error();
    }
    return {};
}

void Statement::reset()
{
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int64(int index) const
{
    return sqlite3_column_int64(stmt_, index);
}

std::string_view Statement::column_text(int index) const
{
    const auto* text = sqlite3_column_text(stmt_, index);
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
    return text == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(text), size);
}

std::string_view Statement::column_blob(int index) const
{
    const auto* data = sqlite3_column_blob(stmt_, index);
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
    return data == nullptr ? std::string_view{} : std::string_view(static_cast<const char*>(data), size);
}

bool Statement::column_is_null(int index) const
{
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

bool Statement::column_is_blob(int index) const
{
    return sqlite3_column_type(stmt_, index) == SQLITE_BLOB;
}

std::optional<std::int64_t> Statement::column_optional_int64(int index) const
{
    if (column_is_null(index)) {
        return std::nullopt;
    }
    return column_int64(index);
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, bool create)
{
    sqlite3* db = nullptr;
    // NOMUTEX: a connection is only ever used by one thread at a time, so SQLite's own mutex is pure cost.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (create) {
        flags |= SQLITE_OPEN_CREATE;
    }
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        auto error = make_error(db, rc, "open " + path);
        sqlite3_close_v2(db);
        return error;
    }
    sqlite3_extended_result_codes(db, 1);
    return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection()
{
    for (auto& [sql, stmt] : statements_) {
        sqlite3_finalize(stmt);
    }
    for (auto& [sql, stmt] : runtime_statements_) {
        sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
}

Result<void> Connection::exec(const char* sql)
{
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return StoreError{map_error(sqlite3_extended_errcode(db_)), "exec: " + text};
    }
    return {};
}

Result<void> Connection::run(const char* sql)
{
    auto stmt = prepare(sql);
    if (!stmt) {
        return stmt.error();
    }
    return stmt->run();
}

Result<Statement> Connection::prepare(const char* sql)
{
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK) {
            return make_error(db_, rc, "prepare");
        }
        it = statements_.emplace(sql, stmt).first;
    }
    return Statement(db_, it->second);
}

Result<Statement> Connection::prepare_owned(const std::string& sql)
{
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), 0, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return make_error(db_, rc, "prepare");
    }
    return Statement(db_, stmt, true);
}

Result<Statement> Connection::prepare_cached(const std::string& sql)
{
    if (auto it = runtime_statements_.find(sql); it != runtime_statements_.end()) {
        return Statement(db_, it->second);
    }
    if (runtime_statements_.size() >= kMaxRuntimeStatements) {
        return prepare_owned(sql);
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return make_error(db_, rc, "prepare");
    }
    runtime_statements_.emplace(sql, stmt);
    return Statement(db_, stmt);
}

std::string Statement::query_plan() const
{
    // EXPLAIN QUERY PLAN rows: id, parent, notused, detail.
    const std::string sql = std::string("EXPLAIN QUERY PLAN ") + sqlite3_sql(stmt_);
    sqlite3_stmt* explain = nullptr;
    std::string plan;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &explain, nullptr) != SQLITE_OK) {
        return "cannot explain: " + std::string(sqlite3_errmsg(db_));
    }
    while (sqlite3_step(explain) == SQLITE_ROW) {
        plan += reinterpret_cast<const char*>(sqlite3_column_text(explain, 3));
        plan += '\n';
    }
    sqlite3_finalize(explain);
    return plan;
}

std::string Connection::last_error() const
{
    return sqlite3_errmsg(db_);
}

Result<std::int64_t> select_number(Connection& db, const char* sql, std::string_view what)
{
    auto stmt = db.prepare(sql);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return StoreError{StoreErrc::Unavailable, std::string(what) + " is missing"};
    }
    return stmt->column_int64(0);
}

} // namespace jobsessions::store::sqlite
