// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/migrate_command.hpp"

#include "jobsessions/app/command_errors.hpp"
#include "jobsessions/app/data_dir.hpp"
#include "jobsessions/store/transfer.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <sys/stat.h>

namespace jobsessions::app {

int run_migrate_command(const ParsedCommandLine& command)
{
    const auto& config = command.config;
    return reporting_errors([&] {
        if (config.database.empty()) {
            throw std::invalid_argument("migrate needs --to postgresql://HOST/DB (or JOBSESSIOND_DATABASE)");
        }
        const auto source = database_path(config.data_dir);
        if (!std::filesystem::exists(source)) {
            throw std::invalid_argument("there is no store to copy in " + config.data_dir + " (no " + source + ")");
        }
        ::umask(077);
        // No server may write the source while it is copied.
        const DataDirLock lock(config.data_dir);
        auto counts = store::copy_sqlite_to_postgres(
            source, config.database, [](const std::string& table) { std::cerr << "copying " << table << "\n"; });
        if (!counts) {
            throw std::runtime_error("the copy failed and changed nothing: " + counts.error().message);
        }
        bool complete = true;
        std::printf("%-18s %12s %12s\n", "table", "copied", "in database");
        for (const auto& count : *counts) {
            std::printf("%-18s %12lld %12lld\n", count.table.c_str(), static_cast<long long>(count.source),
                        static_cast<long long>(count.target));
            complete = complete && count.target >= count.source;
        }
        if (!complete) {
            std::cerr << "jobsessiond: the database holds fewer rows than were copied\n";
            return 1;
        }
        std::cout << "copied " << config.data_dir << " into the PostgreSQL database; start the servers with it\n";
        return 0;
    });
}

} // namespace jobsessions::app
