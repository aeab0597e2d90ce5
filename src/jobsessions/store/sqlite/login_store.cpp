// SPDX-License-Identifier: Apache-2.0
// The login throttle's part of the SQLite store: failed logins counted per key, and where logins succeeded.
#include "jobsessions/store/sqlite/sqlite_store.hpp"

namespace jobsessions::store::sqlite {
namespace {

constexpr const char* kSelectFailures = "SELECT failures, last_failure FROM login_failures WHERE key = ?1";
// A key whose last failure is older than ?3 starts over at one.
constexpr const char* kAddFailure =
    "INSERT INTO login_failures (key, failures, last_failure) VALUES (?1, 1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN last_failure < ?3 THEN 1 ELSE failures + 1 END,"
    " last_failure = ?2 RETURNING failures, last_failure";
constexpr const char* kDeleteFailures = "DELETE FROM login_failures WHERE key = ?1";
constexpr const char* kUpsertSuccess = "INSERT INTO login_addresses (key, last_success) VALUES (?1, ?2)"
                                       " ON CONFLICT (key) DO UPDATE SET last_success = ?2";
constexpr const char* kSelectSuccess = "SELECT last_success FROM login_addresses WHERE key = ?1";

LoginFailures read_failures(const Statement& row)
{
    return LoginFailures{row.column_int64(0), row.column_int64(1)};
}

} // namespace

Result<std::vector<LoginFailures>> SqliteStore::login_failures(const std::vector<std::string>& keys)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    std::vector<LoginFailures> counts;
    for (const auto& key : keys) {
        auto found = select_one(**db, kSelectFailures, std::string_view(key), "no failures",
                                [](const Statement& row) -> Result<LoginFailures> { return read_failures(row); });
        if (!found && found.error().code != StoreErrc::NotFound) {
            return found.error();
        }
        counts.push_back(found ? *found : LoginFailures{});
    }
    return counts;
}

Result<std::vector<LoginFailures>> SqliteStore::add_login_failure(const std::vector<std::string>& keys,
                                                                  util::Micros now, util::Micros forget_before)
{
    return write<std::vector<LoginFailures>>([&](Connection& db) -> Result<std::vector<LoginFailures>> {
        std::vector<LoginFailures> counts;
        for (const auto& key : keys) {
            auto stmt = db.prepare(kAddFailure);
            if (!stmt) {
                return stmt.error();
            }
            stmt->bind(1, std::string_view(key));
            stmt->bind(2, now);
            stmt->bind(3, forget_before);
            auto row = stmt->step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return StoreError{StoreErrc::Corrupt, "counting a failed login returned no row"};
            }
            counts.push_back(read_failures(*stmt));
            if (auto rest = stmt->step(); !rest) {
                return rest.error();
            }
        }
        return counts;
    });
}

Result<void> SqliteStore::record_login_success(const std::string& failures_key, const std::string& address_key,
                                               util::Micros now)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto forget = db.prepare(kDeleteFailures);
        if (!forget) {
            return forget.error();
        }
        forget->bind(1, std::string_view(failures_key));
        if (auto r = forget->run(); !r) {
            return r.error();
        }
        auto known = db.prepare(kUpsertSuccess);
        if (!known) {
            return known.error();
        }
        known->bind(1, std::string_view(address_key));
        known->bind(2, now);
        return known->run();
    });
}

Result<std::optional<util::Micros>> SqliteStore::last_login_success(const std::string& address_key)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto found = select_one(**db, kSelectSuccess, std::string_view(address_key), "never",
                            [](const Statement& row) -> Result<util::Micros> { return row.column_int64(0); });
    if (!found) {
        if (found.error().code == StoreErrc::NotFound) {
            return std::optional<util::Micros>();
        }
        return found.error();
    }
    return std::optional<util::Micros>(*found);
}

} // namespace jobsessions::store::sqlite
