// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/outcome.hpp"
#include "jobsessions/store/policy_store.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace jobsessions::service {

/// The record of the runs whose child processes are alive: written before a command starts and removed when it
/// has ended, so that a server starting after a crash finds and ends what the last one left. Thread-safe.
class RunRecords {
public:
    /// `node`: this server's name where several share the database (its runs are recorded with it), else empty.
    explicit RunRecords(store::RunStore& store, std::string node = {})
        : store_(store)
        , node_(std::move(node))
    {
    }

    /// This server's name where several share the database, else empty: the node its runs are recorded with.
    [[nodiscard]] const std::string& node() const noexcept { return node_; }
    /// Records the run of session `session_id` before its child process starts, unless its policy already has
    /// `max_runs` runs recorded by any node: false then, and nothing is recorded.
    Outcome<bool> claim(std::int64_t session_id, const std::string& policy_id, std::int64_t max_runs);
    /// Records the child process of a run claimed before (which waits to run its command until this returns).
    Outcome<void> record(store::PolicyRun run);
    /// Forgets the run of a session whose child process has ended.
    Outcome<void> forget(std::int64_t session_id);
    /// The runs of a policy going on, on every node.
    Outcome<std::vector<store::PolicyRun>> of_policy(const std::string& policy_id);
    /// The runs this node recorded and did not forget: at start-up, those it left when it stopped without ending
    /// them.
    Outcome<std::vector<store::PolicyRun>> left_behind();
    /// The runs of other nodes that are not among `live_nodes` (they stopped without ending them).
    Outcome<std::vector<store::PolicyRun>> orphaned(const std::vector<std::string>& live_nodes);

private:
    store::RunStore& store_;
    const std::string node_;
};

} // namespace jobsessions::service
