// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/policy_store.hpp"

#include <cstdint>
#include <vector>

namespace jobsessions::service {

/// The record of the runs whose child processes are alive: written before a command starts and removed when it
/// has ended, so that a server starting after a crash finds and ends what the last one left. Thread-safe.
class RunRecords {
public:
    explicit RunRecords(store::RunStore& store)
        : store_(store)
    {
    }

    /// Records a run whose child process has started (and waits to run its command until this returns).
    Outcome<void> record(const store::PolicyRun& run);
    /// Forgets the run of a session whose child process has ended.
    Outcome<void> forget(std::int64_t session_id);
    /// The runs recorded and not forgotten: at start-up, those a server that stopped without ending them left.
    Outcome<std::vector<store::PolicyRun>> left_behind();

private:
    store::RunStore& store_;
};

} // namespace jobsessions::service
