// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/backup.hpp"

#include "jobsessions/store/migrations/sqlite_migrations.hpp"
#include "jobsessions/store/sqlite/connection.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>

namespace jobsessions::store::sqlite {
namespace {

constexpr const char* kIntegrityCheck = "PRAGMA integrity_check";
constexpr const char* kSchemaVersion = "PRAGMA user_version";
constexpr const char* kCountSessions = "SELECT count(*) FROM sessions";
constexpr const char* kCountLogEntries = "SELECT count(*) FROM log_entries";
/// A reader waits this long for a writer that holds the database's lock for a moment (a checkpoint's start).
constexpr int kBusyTimeoutMs = 10'000;

StoreError unavailable(std::string message)
{
    return StoreError{StoreErrc::Unavailable, std::move(message)};
}

StoreError system_error(const std::string& what)
{
    return unavailable(what + ": " + std::strerror(errno));
}

/// Flushes a file or a directory to disk.
Result<void> sync_path(const std::string& path, bool directory)
{
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        return system_error("cannot open " + path);
    }
    const int synced = ::fsync(fd);
    const int saved_errno = errno;
    ::close(fd);
    if (synced != 0) {
        errno = saved_errno;
        return system_error("cannot flush " + path + " to disk");
    }
    return {};
}

/// A database handle that closes itself, for the backup's two ends.
struct Handle {
    sqlite3* db = nullptr;
    ~Handle() { sqlite3_close_v2(db); }
};

} // namespace

Result<BackupSummary> verify_store_file(const std::string& file)
{
    const auto refuse = [&file](const std::string& why) { return unavailable(file + " " + why); };
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return refuse("is not a file");
    }
    // A live database's write-ahead log holds writes the file has not: the file alone is not the store.
    if (std::filesystem::file_size(file + "-wal", ec) > 0 && !ec) {
        return refuse("has a write-ahead log beside it (a server's live database, or one that was not shut down "
                      "cleanly): copy it with jobsessiond backup instead");
    }
    // Read-only, and immutable: nothing is written beside it, no lock is taken.
    auto opened =
        Connection::open("file:" + boost::urls::encode(file, boost::urls::pchars) + "?mode=ro&immutable=1", false);
    if (!opened) {
        return refuse("cannot be opened: " + opened.error().message);
    }
    Connection& db = **opened;
    auto integrity = db.prepare(kIntegrityCheck);
    if (!integrity) {
        return refuse("is not an SQLite database: " + integrity.error().message);
    }
    auto row = integrity->step();
    if (!row) {
        return refuse("is not an SQLite database: " + row.error().message);
    }
    if (!*row || integrity->column_text(0) != "ok") {
        return refuse("is damaged: " + std::string(*row ? integrity->column_text(0) : "no answer"));
    }
    integrity->reset();
    auto version = select_number(db, kSchemaVersion, "the schema version");
    if (!version) {
        return refuse("has no schema version: " + version.error().message);
    }
    const auto latest = migrations::sqlite_migrations().back().version;
    if (*version < 1 || *version > latest) {
        return refuse("is not a store this server can open (schema version " + std::to_string(*version) +
                      ", this server knows 1 to " + std::to_string(latest) + ")");
    }
    BackupSummary summary;
    auto sessions = select_number(db, kCountSessions, "the count of sessions");
    auto entries = select_number(db, kCountLogEntries, "the count of log entries");
    if (!sessions || !entries) {
        return refuse("is not a jobsessions store: " + (!sessions ? sessions.error() : entries.error()).message);
    }
    summary.sessions = *sessions;
    summary.log_entries = *entries;
    summary.bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
    return summary;
}

Result<BackupSummary> back_up(const std::string& database, const std::string& file)
{
    const auto partial = file + ".partial";
    ::unlink(partial.c_str());
    // Made here, owner-only, whatever the umask: the copy holds password hashes and the token signing key.
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return system_error("cannot create " + partial);
    }
    ::close(fd);
    const auto fail = [&partial](StoreError error) {
        ::unlink(partial.c_str());
        return error;
    };
    {
        Handle source;
        Handle copy;
        int rc = sqlite3_open_v2(database.c_str(), &source.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            return fail(make_error(source.db, rc, "open " + database));
        }
        sqlite3_busy_timeout(source.db, kBusyTimeoutMs);
        rc = sqlite3_open_v2(partial.c_str(), &copy.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            return fail(make_error(copy.db, rc, "open " + partial));
        }
        sqlite3_backup* backup = sqlite3_backup_init(copy.db, "main", source.db, "main");
        if (backup == nullptr) {
            return fail(make_error(copy.db, sqlite3_errcode(copy.db), "start the backup"));
        }
        // All pages in one step: one read transaction, one moment of the store, however long the copy takes.
        rc = sqlite3_backup_step(backup, -1);
        const int finished = sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE) {
            return fail(make_error(copy.db, rc, "copy " + database));
        }
        if (finished != SQLITE_OK) {
            return fail(make_error(copy.db, finished, "finish the copy of " + database));
        }
        // The copy's header says WAL, as the store's does; a backup is one file, so it becomes a rollback journal's.
        char* message = nullptr;
        rc = sqlite3_exec(copy.db, "PRAGMA journal_mode = DELETE", nullptr, nullptr, &message);
        const std::string detail = message != nullptr ? message : "";
        sqlite3_free(message);
        if (rc != SQLITE_OK) {
            return fail(unavailable("cannot make the copy one file: " + detail));
        }
    }
    if (auto synced = sync_path(partial, false); !synced) {
        return fail(synced.error());
    }
    auto summary = verify_store_file(partial);
    if (!summary) {
        return fail(unavailable("the copy failed its check: " + summary.error().message));
    }
    if (::rename(partial.c_str(), file.c_str()) != 0) {
        return fail(system_error("cannot rename " + partial + " to " + file));
    }
    const auto directory = std::filesystem::path(file).parent_path().string();
    if (auto synced = sync_path(directory.empty() ? "." : directory, true); !synced) {
        return synced.error();
    }
    return summary;
}

} // namespace jobsessions::store::sqlite
