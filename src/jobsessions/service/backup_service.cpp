// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/backup_service.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace jobsessions::service {
namespace {

/// The names file_name gives: the only files pruning may delete.
const std::regex& backup_name()
{
    static const std::regex pattern(R"(jobsessions-\d{8}T\d{6}Z\.db)");
    return pattern;
}

} // namespace

BackupService::BackupService(store::BackupStore& store, std::string directory, std::size_t keep)
    : store_(store)
    , directory_(std::move(directory))
    , keep_(keep)
{
}

std::string BackupService::file_name(util::Micros now)
{
    // "2026-12-05T03:00:00.123456Z" → "jobsessions-20261205T030000Z.db": sorts by time, no ':' for other systems.
    const auto stamp = util::format_timestamp(now);
    std::string compact;
    for (const char c : stamp.substr(0, 19)) {
        if (c != '-' && c != ':') {
            compact.push_back(c);
        }
    }
    return "jobsessions-" + compact + "Z.db";
}

Outcome<BackupTaken> BackupService::back_up(util::Micros now)
{
    BackupTaken taken;
    taken.file = (std::filesystem::path(directory_) / file_name(now)).string();
    auto summary = store_.back_up_to(taken.file);
    if (!summary) {
        // The cause (a full disk, a directory the server may not write) is what the operator needs to read.
        return DomainError{DomainErrc::Unavailable, {}, summary.error().message};
    }
    taken.summary = *summary;

    std::vector<std::string> backups;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
        const auto name = entry.path().filename().string();
        if (entry.is_regular_file(ec) && std::regex_match(name, backup_name())) {
            backups.push_back(name);
        }
    }
    if (ec) {
        taken.problem = "cannot list the older backups in " + directory_ + ": " + ec.message();
        return taken;
    }
    std::sort(backups.begin(), backups.end()); // oldest first: the names hold their times
    for (std::size_t i = 0; i + keep_ < backups.size(); ++i) {
        const auto path = (std::filesystem::path(directory_) / backups[i]).string();
        if (std::filesystem::remove(path, ec); ec) {
            taken.problem = "cannot delete the old backup " + path + ": " + ec.message();
            return taken;
        }
        taken.removed.push_back(path);
    }
    return taken;
}

} // namespace jobsessions::service
