// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/policy.hpp"
#include "jobsessions/runner/child_process.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/service/run_launcher.hpp"
#include "jobsessions/service/run_records.hpp"
#include "jobsessions/service/session_service.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <vector>

namespace jobsessions::runner {

class GroupKeeper;

/// Settings of the runner.
struct RunnerConfig {
    /// Where a command runs when its policy names no working directory.
    std::string default_working_directory = "/";
    /// The umask a command starts with (the server's own is stricter: its files hold secrets).
    mode_t command_umask = 022;
    /// The soft limit on open files a command starts with (the server raises its own for its connections).
    rlim_t command_descriptor_limit = RLIM_INFINITY;
    /// Kills the runs' process groups if the server dies; none in tests that need no such guarantee.
    GroupKeeper* keeper = nullptr;
    /// Starts the commands' processes; none: forked by the runner (a test may start them its own way).
    ProcessLauncher* launcher = nullptr;
};

using Trigger = service::Trigger;

/// Runs policy commands as child processes and records each run as a session with its output as the log.
///
/// A run has a thread of its own that owns the child: it reads the child's output (stdout and stderr, one
/// pipe) and appends each line before it reads on, so a child that writes faster than the store takes it blocks
/// on its pipe instead of filling the server's memory. Thread-safe.
class Runner final : public service::RunLauncher {
public:
    Runner(service::SessionService& sessions, service::RunRecords& records, RunnerConfig config);
    /// Stops every run (as shutdown() does).
    ~Runner() override;
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    /// Ends the runs a previous server left behind (it crashed or was killed): their process groups are killed
    /// if still alive and their sessions end as Error, saying so in the log. Call once, before any run starts.
    void recover();

    /// Ends the run of another node (server sharing the database) that stopped without ending it: its session
    /// ends as Error, saying which node stopped and which ended it, and its record goes.
    void end_orphaned(const store::PolicyRun& run, const std::string& ended_by);

    /// Starts a run of `policy` now and returns its session (Running). Conflict when the policy already has
    /// maxConcurrentRuns runs on the servers sharing the store, or when the server is shutting down. Where another
    /// start took the last place between the count and the run's record, the session made for this one ends
    /// NeverExecuted saying so, and the answer is Conflict.
    service::Outcome<domain::JobSession> start(const domain::Policy& policy, Trigger trigger) override;

    /// Records a tick that could not run because the policy already has maxConcurrentRuns runs: a NeverExecuted
    /// session saying why.
    service::Outcome<domain::JobSession> record_skipped(const domain::Policy& policy, util::Micros tick);

    /// Tells the run of a session to stop (its session is Canceling already); false when no run of this server
    /// has that session.
    bool request_stop(std::int64_t session_id);

    /// Tells the run of a session that a client gave the session a final status: its command is stopped as a
    /// stop request would, and its log, closed now, gets nothing more. False when no run has that session.
    bool session_ended(std::int64_t session_id);

    /// A session may have been changed through another server sharing the database: if this runner runs it and
    /// it was asked to stop (Canceling) or given a final status there, its command is stopped as here. False when
    /// no run of this server has that session.
    bool session_changed_elsewhere(std::int64_t session_id);

    /// Stops every run of a policy and waits until they have ended, those starting meanwhile too; starts while it
    /// stops them are refused. Runs of other servers sharing the store are asked to stop through their sessions
    /// (Canceling, with why in their logs), and waited for as long as this server's own (their grace period, and a
    /// few seconds for their servers to notice).
    void stop_policy(const domain::Policy& policy) override;

    /// How many runs (each a child process) this server has going on.
    [[nodiscard]] std::size_t running() const;

    /// How many runs of a policy are going on, on every server sharing the store (their records): a run whose
    /// command has ended no longer counts once its session may show it.
    [[nodiscard]] service::Outcome<std::size_t> active_runs(const std::string& policy_id) override;

    /// Stops every run (SIGTERM, SIGKILL after its grace period), records each as Canceled, and waits until
    /// they have ended. Later starts are refused.
    void shutdown();

private:
    struct Run;
    /// start() once the run counts as starting: makes its session, claims its place and enters it among the runs.
    service::Outcome<domain::JobSession> start_run(const domain::Policy& policy, Trigger trigger);
    /// A run's thread: starts the child, supervises it, records how the run ended.
    void execute(const std::shared_ptr<Run>& run);
    /// Starts the command's child and records the run before releasing it; none (the log says why) when it could
    /// not start.
    std::optional<Child> start_child(Run& run);
    /// Reads the child's output into the log until it has ended, stopping it on request, at its timeout or at
    /// shutdown (SIGTERM to its group, SIGKILL after the grace period).
    ExitOutcome supervise(Run& run, Child& child);
    /// Gives the session its final status: a stop wins over the exit code; a timeout is an Error; none: the command
    /// never ran.
    void end_run(const std::shared_ptr<Run>& run, std::optional<ExitOutcome> outcome);
    /// Ends a session made for a run that did not start, with `why` in its log.
    void end_unstarted(std::int64_t session_id, domain::SessionStatus status, std::string why);
    /// Asks the runs of a policy on other servers to stop through their sessions; the sessions asked.
    std::vector<std::int64_t> ask_remote_runs_to_stop(const std::string& policy_id);
    /// Waits until each of `sessions` has a final status (or is gone), or until `deadline`.
    void wait_for_remote_runs(std::vector<std::int64_t> sessions, std::chrono::steady_clock::time_point deadline);
    /// Ends the session of a run left behind as Error with `why` in its log, and forgets its record.
    void end_left_behind(const store::PolicyRun& run, const std::string& why);
    /// Appends a line to the run's log, unless a client closed it.
    void say(const Run& run, domain::SessionStatus status, std::string message);
    void finish(const std::shared_ptr<Run>& run);
    void remove_run_record(std::int64_t session_id);

    service::SessionService& sessions_;
    service::RunRecords& records_;
    RunnerConfig config_;
    ForkLauncher forks_;
    ProcessLauncher& launcher_;

    mutable std::mutex mutex_;
    std::condition_variable ended_;
    std::map<std::int64_t, std::shared_ptr<Run>> runs_;
    /// Starts between their first look and their entry in runs_, per policy.
    std::map<std::string, int> starting_;
    /// Policies whose runs stop_policy is stopping (how many calls), whose new runs are refused.
    std::map<std::string, int> stopping_;
    bool shutting_down_ = false;
};

} // namespace jobsessions::runner
