// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/sqlite/connection.hpp"

#include <cstdint>
#include <optional>

namespace jobsessions::store::sqlite {

/// The store's usn counter as the writer thread hands it out: read once per batch, counted up in memory and
/// written back once before the batch commits — one statement per batch rather than one per write. A write
/// rolled back to its savepoint leaves a gap, which the change feed does not mind (usns only ever grow).
/// Writer thread only.
class UsnCounter {
public:
    /// Forgets what the previous batch counted: the next value is read from the table again.
    void begin_batch() noexcept;
    /// The next usn.
    Result<std::int64_t> next(Connection& db);
    /// Stores the last usn handed out, if any, in the counters table (inside the batch's transaction).
    Result<void> write_back(Connection& db);

private:
    std::optional<std::int64_t> last_;
    bool changed_ = false;
};

} // namespace jobsessions::store::sqlite
