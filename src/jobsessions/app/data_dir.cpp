// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/data_dir.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/store/postgres/pg_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>

namespace jobsessions::app {
namespace {

std::string octal_mode(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

} // namespace

std::string database_path(const std::string& data_dir)
{
    return data_dir + "/jobsessions.db";
}

void check_private(const std::string& path, const std::string& what, bool allow_unsafe, bool root_group_may_read)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return;
        }
        throw std::runtime_error("cannot inspect " + what + " " + path + ": " + std::strerror(errno));
    }
    std::string problem;
    const bool directory = S_ISDIR(st.st_mode);
    // A key kept by root for a group of services (Debian's ssl-cert) may be read by that group.
    const bool shared_by_root = root_group_may_read && st.st_uid == 0;
    const mode_t forbidden = shared_by_root ? 027 : 077;
    if (st.st_uid != ::geteuid() && !shared_by_root) {
        problem = what + " " + path + " belongs to uid " + std::to_string(st.st_uid) + ", not to uid " +
                  std::to_string(::geteuid()) + " that runs the server; run the server as its owner";
    } else if ((st.st_mode & forbidden) != 0) {
        problem = what + " " + path + " can be " + ((st.st_mode & 022) != 0 ? "written" : "read") +
                  " by other users (mode " + octal_mode(st.st_mode) + "); run 'chmod " + (directory ? "700" : "600") +
                  " " + path + "'";
    }
    if (problem.empty()) {
        return;
    }
    if (allow_unsafe) {
        log::warning(problem + " (going on: --allow-unsafe-permissions)");
        return;
    }
    throw std::runtime_error(problem + ", or start with --allow-unsafe-permissions");
}

void prepare_data_dir(const std::string& data_dir, const DataDirOptions& options)
{
    std::error_code ec;
    if (!std::filesystem::exists(data_dir, ec)) {
        if (!options.create) {
            throw std::runtime_error("there is no data directory " + data_dir +
                                     " (start the server once to make it, or give --data-dir)");
        }
        std::filesystem::create_directories(data_dir, ec);
        if (ec) {
            throw std::runtime_error("cannot create the data directory " + data_dir + ": " + ec.message());
        }
        if (::chmod(data_dir.c_str(), 0700) != 0) {
            throw std::runtime_error("cannot make the data directory " + data_dir +
                                     " private: " + std::strerror(errno));
        }
    }
    if (!std::filesystem::is_directory(data_dir, ec)) {
        throw std::runtime_error("the data directory " + data_dir + " is not a directory");
    }
    if (::access(data_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
        throw std::runtime_error("the data directory " + data_dir +
                                 " is not readable and writable: " + std::strerror(errno));
    }
    check_private(data_dir, "the data directory", options.allow_unsafe_permissions);
}

std::unique_ptr<store::Store> open_store(const std::string& data_dir, const DataDirOptions& options)
{
    const std::string path = database_path(data_dir);
    // Made owner-only before SQLite opens it, whatever the umask: SQLite gives the write-ahead log and its index
    // the database file's mode.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot open the database " + path + ": " + std::strerror(errno));
    }
    ::close(fd);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        check_private(path + suffix, "the database file", options.allow_unsafe_permissions);
    }
    auto opened = store::open_sqlite_store(store::StoreOptions{path});
    if (!opened) {
        throw std::runtime_error("cannot open the database in " + data_dir + ": " + opened.error().message);
    }
    return std::move(*opened);
}

std::unique_ptr<store::Store> open_database(const std::string& database, std::size_t connections)
{
    auto opened = store::postgres::PgStore::open(database, connections);
    if (!opened) {
        throw std::runtime_error("cannot open the PostgreSQL database: " + opened.error().message);
    }
    return std::move(*opened);
}

DataDirLock::DataDirLock(const std::string& data_dir)
{
    const std::string path = data_dir + "/jobsessiond.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("another jobsessiond is already serving the data directory " + data_dir);
    }
}

DataDirLock::~DataDirLock()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

} // namespace jobsessions::app
