// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/store.hpp"

#include <string>

namespace jobsessions::store::sqlite {

/// Copies the SQLite store at `database` to `file` while servers go on writing to it: SQLite's online backup in
/// one step, inside one read transaction, so the copy is the store as of that moment (every write acknowledged
/// before it began is in it). The copy is written beside `file`, made self-contained (no write-ahead log),
/// flushed to disk, verified (verify_store_file), and only then renamed over `file`. Owner-only.
Result<BackupSummary> back_up(const std::string& database, const std::string& file);

/// Checks that `file` is a whole jobsessions store that this server can open: SQLite's integrity check passes,
/// its schema version is one this server knows, and its sessions and log entries can be counted. Unavailable
/// with the reason otherwise.
Result<BackupSummary> verify_store_file(const std::string& file);

} // namespace jobsessions::store::sqlite
