// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store.hpp"

#include <memory>
#include <string>

namespace jobsessions::app {

/// The database file inside a data directory.
std::string database_path(const std::string& data_dir);

/// How a data directory is opened.
struct DataDirOptions {
    /// Make the directory (owner-only) when it is missing; otherwise a missing directory is an error.
    bool create = true;
    /// Warn instead of refusing when the directory or a secret file in it can be read or written by other users.
    bool allow_unsafe_permissions = false;
};

/// Makes the data directory when asked and missing, and checks that it is a directory this process owns and can
/// write, that no other user may read or write (see check_private). Throws std::runtime_error with a one-line
/// message otherwise.
void prepare_data_dir(const std::string& data_dir, const DataDirOptions& options);

/// Checks that the file or directory at `path`, when it exists, belongs to this process's user and gives no
/// permission to group or others; throws std::runtime_error saying what is wrong and how to fix it otherwise, or
/// only logs a warning when `allow_unsafe` is set. `what` names it in the message ("the data directory"). With
/// `root_group_may_read`, a file owned by root may also be read by its group (a TLS key shared as Debian's
/// ssl-cert group does), as PostgreSQL allows for its key.
void check_private(const std::string& path, const std::string& what, bool allow_unsafe,
                   bool root_group_may_read = false);

/// Opens the store of a data directory: the database and its write-ahead files are created readable by their
/// owner only and checked as check_private does. Throws std::runtime_error with a readable message.
std::unique_ptr<store::Store> open_store(const std::string& data_dir, const DataDirOptions& options);

/// Opens the PostgreSQL store at `database` (a postgresql:// URI) with at most `connections` connections,
/// bringing its schema up to date. Throws std::runtime_error with a readable message (never the URI).
std::unique_ptr<store::Store> open_database(const std::string& database, std::size_t connections);

/// Holds an exclusive lock on the data directory for as long as it lives, so two servers never share one.
class DataDirLock {
public:
    /// Throws std::runtime_error when another process holds the lock.
    explicit DataDirLock(const std::string& data_dir);
    ~DataDirLock();
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;

private:
    int fd_ = -1;
};

} // namespace jobsessions::app
