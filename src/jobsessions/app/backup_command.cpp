// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/backup_command.hpp"

#include "jobsessions/app/command_errors.hpp"
#include "jobsessions/app/data_dir.hpp"
#include "jobsessions/service/backup_service.hpp"
#include "jobsessions/store/sqlite/backup.hpp"
#include "jobsessions/util/time.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <sys/stat.h>

namespace jobsessions::app {
namespace {

/// What a store holds, as the commands say it.
std::string described(const store::BackupSummary& summary)
{
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(summary.bytes) / 1e6);
    return std::to_string(summary.sessions) + " session(s) and " + std::to_string(summary.log_entries) +
           " log entries (" + size + ")";
}

/// Moves `from` to `to` when it exists.
void move_if_present(const std::string& from, const std::string& to)
{
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        throw std::runtime_error("cannot move " + from + " aside: " + std::strerror(errno));
    }
}

/// Copies `from` to `to` (owner-only) and flushes it to disk.
void copy_flushed(const std::string& from, const std::string& to)
{
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        throw std::runtime_error("cannot open " + from + ": " + std::strerror(errno));
    }
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        const std::string error = std::strerror(errno);
        ::close(in);
        throw std::runtime_error("cannot create " + to + ": " + error);
    }
    char buffer[1 << 16];
    bool ok = true;
    for (;;) {
        const auto n = ::read(in, buffer, sizeof buffer);
        if (n == 0) {
            break;
        }
        if (n < 0 || ::write(out, buffer, static_cast<std::size_t>(n)) != n) {
            ok = false;
            break;
        }
    }
    ok = ok && ::fsync(out) == 0;
    const std::string error = std::strerror(errno);
    ::close(in);
    ::close(out);
    if (!ok) {
        ::unlink(to.c_str());
        throw std::runtime_error("cannot copy " + from + " to " + to + ": " + error);
    }
}

} // namespace

int run_backup_command(const ParsedCommandLine& command)
{
    return reporting_errors([&] {
        const auto& config = command.config;
        if (!config.database.empty()) {
            throw std::invalid_argument("backup copies the SQLite store of a data directory; back a PostgreSQL "
                                        "database up with its own tools (pg_dump)");
        }
        const auto source = database_path(config.data_dir);
        if (!std::filesystem::exists(source)) {
            throw std::invalid_argument("there is no store to back up in " + config.data_dir + " (no " + source + ")");
        }
        std::error_code ec;
        if (std::filesystem::is_directory(command.backup_file, ec)) {
            throw std::invalid_argument("--to names a directory; name the file, e.g. " + command.backup_file + "/" +
                                        service::BackupService::file_name(util::now_micros()));
        }
        auto summary = store::sqlite::back_up(source, command.backup_file);
        if (!summary) {
            throw std::runtime_error("the backup failed: " + summary.error().message);
        }
        std::cout << "backed up " << described(*summary) << " to " << command.backup_file << ", verified\n";
        return 0;
    });
}

int run_restore_command(const ParsedCommandLine& command)
{
    return reporting_errors([&] {
        const auto& config = command.config;
        if (!config.database.empty()) {
            throw std::invalid_argument("restore puts a backup in a data directory; a PostgreSQL database is "
                                        "restored with its own tools (pg_restore)");
        }
        auto summary = store::sqlite::verify_store_file(command.backup_file);
        if (!summary) {
            throw std::runtime_error("nothing was restored: " + summary.error().message);
        }
        ::umask(077);
        prepare_data_dir(config.data_dir, DataDirOptions{true, config.allow_unsafe_permissions});
        // Held until the backup is in place: no server starts on the directory meanwhile.
        std::optional<DataDirLock> lock;
        try {
            lock.emplace(config.data_dir);
        } catch (const std::runtime_error&) {
            throw std::runtime_error("a jobsessiond is running with the data directory " + config.data_dir +
                                     "; stop it before restoring (nothing was restored)");
        }
        const auto target = database_path(config.data_dir);
        const auto partial = target + ".partial";
        copy_flushed(command.backup_file, partial);
        std::string replaced;
        if (std::filesystem::exists(target)) {
            // The store being replaced is kept whole: its write-ahead log goes with it, as SQLite names them.
            const auto stamp = service::BackupService::file_name(util::now_micros());
            replaced = target + ".replaced-" + stamp.substr(std::strlen("jobsessions-"), 16);
            move_if_present(target + "-wal", replaced + "-wal");
            move_if_present(target + "-shm", replaced + "-shm");
            move_if_present(target, replaced);
        }
        if (::rename(partial.c_str(), target.c_str()) != 0) {
            throw std::runtime_error("cannot put the backup in place as " + target + ": " + std::strerror(errno));
        }
        if (const int dir = ::open(config.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
            // A failed flush of the directory leaves the rename to the next sync; the copy itself is on disk.
            (void)::fsync(dir);
            ::close(dir);
        }
        std::cout << "restored " << described(*summary) << " from " << command.backup_file << " into "
                  << config.data_dir << "\n";
        if (!replaced.empty()) {
            std::cout << "the store it replaced is " << replaced << " (delete it once the restored store is right)\n";
        }
        return 0;
    });
}

} // namespace jobsessions::app
