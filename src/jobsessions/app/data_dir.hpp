// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store.hpp"

#include <memory>
#include <string>

namespace jobsessions::app {

/// The database file inside a data directory.
std::string database_path(const std::string& data_dir);

/// Creates the data directory (owner-only) when missing and checks it can be written. Throws std::runtime_error
/// with a readable message otherwise.
void prepare_data_dir(const std::string& data_dir);

/// Opens the store of a data directory. Throws std::runtime_error with a readable message.
std::unique_ptr<store::Store> open_store(const std::string& data_dir);

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
