// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/store.hpp"
#include "jobsessions/util/time.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace jobsessions::service {

/// A backup the server took of its store.
struct BackupTaken {
    std::string file;
    store::BackupSummary summary;
    /// Older backups deleted to keep the number asked for.
    std::vector<std::string> removed;
    /// What went wrong after the backup was taken (an old one that could not be deleted); empty: nothing.
    std::string problem;
};

/// The server's scheduled backups of its own store: verified copies named by their time in one directory, the
/// newest few kept. Thread-safe as long as one backup runs at a time.
class BackupService {
public:
    /// Backups go to `directory` (which must exist); the newest `keep` stay.
    BackupService(store::BackupStore& store, std::string directory, std::size_t keep);

    /// Writes a verified copy of the store, as of now, to DIRECTORY/jobsessions-YYYYMMDDTHHMMSSZ.db (`now` in
    /// UTC), then deletes the oldest files of that pattern past the newest `keep`. No other file of the directory
    /// is ever touched, and nothing is deleted when the new backup failed.
    Outcome<BackupTaken> back_up(util::Micros now);

    /// The file name of a backup taken at `now`.
    static std::string file_name(util::Micros now);

private:
    store::BackupStore& store_;
    std::string directory_;
    std::size_t keep_;
};

} // namespace jobsessions::service
