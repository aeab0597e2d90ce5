// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/runner.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/runner/child_process.hpp"
#include "jobsessions/runner/group_keeper.hpp"
#include "jobsessions/runner/output_lines.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

namespace jobsessions::runner {
namespace {

using domain::SessionStatus;
using Steady = std::chrono::steady_clock;

/// Why a run is being stopped.
enum class StopReason : int {
    None,
    Requested,
    Timeout,
    PolicyDeleted,
    Shutdown,
    /// A client gave the session a final status: its log is closed, the command is stopped all the same.
    SessionEnded,
};

/// The longest timeout or grace period the arithmetic below meets (the API allows far less): a year.
constexpr std::int64_t kMaxSeconds = std::int64_t{366} * 24 * 3600;
/// How long beyond a run's grace period a deletion waits for a run of another server to stop (that server notices
/// the stop within a second, then stops the command), and how often it looks.
constexpr auto kRemoteStopSlack = std::chrono::seconds(10);
constexpr auto kRemoteStopPoll = std::chrono::milliseconds(100);

std::string command_line(const std::vector<std::string>& argv)
{
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        // Shown as a shell would take it: quoted when needed, a ' inside as '\''.
        if (!arg.empty() && arg.find_first_of(" \t\n\"'\\$`;&|<>*?()") == std::string::npos) {
            out += arg;
            continue;
        }
        out += '\'';
        for (const char c : arg) {
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        out += '\'';
    }
    return out;
}

} // namespace

/// One run: its session, its policy as it was when the run started, and how it is being stopped.
struct Runner::Run {
    domain::JobSession session;
    domain::Policy policy;
    Trigger trigger = Trigger::Manual;
    std::atomic<StopReason> stop{StopReason::None};
    /// Wakes the run's thread when `stop` is set.
    Fd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

    void request(StopReason reason)
    {
        auto expected = StopReason::None;
        stop.compare_exchange_strong(expected, reason);
        const std::uint64_t one = 1;
        (void)!::write(wake.get(), &one, sizeof one);
    }
};

Runner::Runner(service::SessionService& sessions, service::RunRecords& records, RunnerConfig config)
    : sessions_(sessions)
    , records_(records)
    , config_(std::move(config))
    , launcher_(config_.launcher != nullptr ? *config_.launcher : forks_)
{
}

Runner::~Runner()
{
    shutdown();
}

void Runner::recover()
{
    auto left = records_.left_behind();
    if (!left) {
        log::warning("cannot read the runs of the previous server: " + left.error().for_log());
        return;
    }
    for (const auto& run : *left) {
        const auto pid = static_cast<pid_t>(run.pid);
        // Only a process that is still the one recorded (same start time) is killed: pids are reused.
        if (run.process_start != 0 && process_start_ticks(pid) == run.process_start) {
            ::kill(-pid, SIGKILL);
        }
        end_left_behind(run, "The server stopped during this run; the run was ended when it started again.");
        log::info("ended session " + std::to_string(run.session_id) + ", left running by the previous server");
    }
}

void Runner::end_orphaned(const store::PolicyRun& run, const std::string& ended_by)
{
    end_left_behind(run,
                    "The node running this session (" + run.node + ") stopped; node " + ended_by + " ended the run.");
    log::info("ended session " + std::to_string(run.session_id) + ", left running by node " + run.node +
              " that stopped");
}

void Runner::end_left_behind(const store::PolicyRun& run, const std::string& why)
{
    const auto session = std::to_string(run.session_id);
    if (auto r = sessions_.append_message(service::kSystem, run.session_id, SessionStatus::Error, why); !r) {
        log::warning("cannot log the end of session " + session + " left running: " + r.error().for_log());
    }
    domain::SessionChange change;
    change.status = SessionStatus::Error;
    if (auto changed = sessions_.change(service::kSystem, run.session_id, change, nullptr); !changed) {
        log::warning("cannot end session " + session + " left running: " + changed.error().for_log());
    }
    // Left in place, the record would only make the next start (or sweep) do this again.
    if (auto removed = records_.forget(run.session_id); !removed) {
        log::warning("cannot remove the record of session " + session +
                     "'s run; it is ended again later: " + removed.error().for_log());
    }
}

service::Outcome<domain::JobSession> Runner::start(const domain::Policy& policy, Trigger trigger)
{
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) {
            return service::DomainError{service::DomainErrc::Conflict, {}, "The server is shutting down."};
        }
        if (stopping_.contains(policy.id)) {
            return service::DomainError{
                service::DomainErrc::Conflict, {}, "Policy '" + policy.name + "' is being deleted."};
        }
        ++starting_[policy.id];
    }
    auto started = start_run(policy, trigger);
    {
        std::lock_guard lock(mutex_);
        if (--starting_[policy.id] == 0) {
            starting_.erase(policy.id);
        }
    }
    ended_.notify_all();
    return started;
}

service::Outcome<domain::JobSession> Runner::start_run(const domain::Policy& policy, Trigger trigger)
{
    const auto too_many = [&] {
        return service::DomainError{service::DomainErrc::Conflict,
                                    {},
                                    "Policy '" + policy.name + "' already has " +
                                        std::to_string(policy.max_concurrent_runs) +
                                        " run(s) going on (maxConcurrentRuns)."};
    };
    auto going = active_runs(policy.id);
    if (!going) {
        return going.error();
    }
    if (*going >= static_cast<std::size_t>(policy.max_concurrent_runs)) {
        return too_many();
    }
    service::CreateSession request;
    request.type = policy.session_type;
    request.status = SessionStatus::Running;
    request.backup_info = domain::BackupJobInfo{policy.id, policy.name, 0, false};
    const char* why = trigger == Trigger::Manual     ? "Started by request"
                      : trigger == Trigger::Schedule ? "Started by schedule"
                                                     : "Started at server start for a scheduled run it missed";
    request.log.push_back(service::logged_now(SessionStatus::Success, why + (": " + command_line(policy.command))));
    auto created = sessions_.create(service::kSystem, request, nullptr);
    if (!created) {
        return created;
    }
    // The count above is a quick answer; the claim is the one that holds when servers start runs at once.
    auto claimed = records_.claim(created->id, policy.id, policy.max_concurrent_runs);
    if (!claimed || !*claimed) {
        if (!claimed) {
            log::error("session " + std::to_string(created->id) +
                       ": cannot record the run, so it does not start: " + claimed.error().for_log());
        }
        end_unstarted(created->id, claimed ? SessionStatus::NeverExecuted : SessionStatus::Error,
                      claimed ? "Not run: another run took the policy's last place (maxConcurrentRuns " +
                                    std::to_string(policy.max_concurrent_runs) + ") as this one started."
                              : "Not started: the server could not record the run (its log says why).");
        return claimed ? service::Outcome<domain::JobSession>(too_many()) : claimed.error();
    }
    auto run = std::make_shared<Run>();
    run->session = *created;
    run->policy = policy;
    run->trigger = trigger;
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) {
            run->stop = StopReason::Shutdown;
        } else if (stopping_.contains(policy.id)) {
            run->stop = StopReason::PolicyDeleted; // deleted while this run was starting
        }
        runs_.emplace(created->id, run);
    }
    std::thread([this, run] { execute(run); }).detach();
    return created;
}

service::Outcome<domain::JobSession> Runner::record_skipped(const domain::Policy& policy, util::Micros tick)
{
    service::CreateSession request;
    request.type = policy.session_type;
    request.status = SessionStatus::NeverExecuted;
    request.start_time = tick;
    request.stop_time = tick;
    request.backup_info = domain::BackupJobInfo{policy.id, policy.name, 0, false};
    request.log.push_back(service::logged_now(SessionStatus::NeverExecuted,
                                              "Not run: the previous run was still going on, and the policy allows " +
                                                  std::to_string(policy.max_concurrent_runs) +
                                                  " at a time (maxConcurrentRuns)."));
    return sessions_.create(service::kSystem, request, nullptr);
}

bool Runner::request_stop(std::int64_t session_id)
{
    std::lock_guard lock(mutex_);
    const auto it = runs_.find(session_id);
    if (it == runs_.end()) {
        return false;
    }
    it->second->request(StopReason::Requested);
    return true;
}

bool Runner::session_ended(std::int64_t session_id)
{
    std::lock_guard lock(mutex_);
    const auto it = runs_.find(session_id);
    if (it == runs_.end()) {
        return false;
    }
    it->second->request(StopReason::SessionEnded);
    return true;
}

bool Runner::session_changed_elsewhere(std::int64_t session_id)
{
    {
        std::lock_guard lock(mutex_);
        if (!runs_.contains(session_id)) {
            return false;
        }
    }
    auto session = sessions_.get(service::kSystem, session_id);
    if (!session) {
        log::warning("cannot read session " + std::to_string(session_id) +
                     " changed through another server: " + session.error().for_log());
        return true;
    }
    if (session->status == SessionStatus::Canceling) {
        return request_stop(session_id);
    }
    if (domain::is_final(session->status)) {
        return session_ended(session_id);
    }
    return true;
}

void Runner::stop_policy(const domain::Policy& policy)
{
    {
        std::lock_guard lock(mutex_);
        ++stopping_[policy.id]; // a run starting from now on is stopped as it enters, and waited for below
        for (auto& [id, run] : runs_) {
            if (run->policy.id == policy.id) {
                run->request(StopReason::PolicyDeleted);
            }
        }
    }
    const auto remote = ask_remote_runs_to_stop(policy.id);
    {
        std::unique_lock lock(mutex_);
        ended_.wait(lock, [&] {
            if (starting_.contains(policy.id)) {
                return false;
            }
            for (const auto& [id, run] : runs_) {
                if (run->policy.id == policy.id) {
                    return false;
                }
            }
            return true;
        });
    }
    // As long as this server waits for its own runs: their grace period, and the time their servers take to notice.
    const auto grace = std::chrono::seconds(std::min(policy.stop_grace_seconds, kMaxSeconds));
    wait_for_remote_runs(remote, Steady::now() + grace + kRemoteStopSlack);
    std::lock_guard lock(mutex_);
    if (--stopping_[policy.id] == 0) {
        stopping_.erase(policy.id);
    }
}

std::vector<std::int64_t> Runner::ask_remote_runs_to_stop(const std::string& policy_id)
{
    std::vector<std::int64_t> asked;
    auto runs = records_.of_policy(policy_id);
    if (!runs) {
        log::warning("cannot read the runs of policy " + policy_id +
                     " on other servers, which go on: " + runs.error().for_log());
        return asked;
    }
    for (const auto& run : *runs) {
        if (run.node == records_.node()) {
            continue; // this server's: among its runs, or starting (stop_policy waits for those)
        }
        if (const auto current = sessions_.get(service::kSystem, run.session_id);
            (current && domain::is_final(current->status)) ||
            (!current && current.error().code == service::DomainErrc::NotFound)) {
            continue; // ended meanwhile: nothing to stop
        }
        const auto session = std::to_string(run.session_id);
        if (auto said = sessions_.append_message(service::kSystem, run.session_id, SessionStatus::Warning,
                                                 "Stopping: the policy was deleted; the server running it stops it.");
            !said) {
            log::warning("cannot log in session " + session + " why it stops: " + said.error().for_log());
        }
        if (auto stopped = sessions_.stop(service::kSystem, run.session_id); !stopped) {
            log::warning("cannot ask session " + session + " of another server to stop: " + stopped.error().for_log());
            continue;
        }
        asked.push_back(run.session_id);
    }
    return asked;
}

void Runner::wait_for_remote_runs(std::vector<std::int64_t> sessions, Steady::time_point deadline)
{
    while (!sessions.empty()) {
        std::erase_if(sessions, [&](std::int64_t id) {
            auto session = sessions_.get(service::kSystem, id);
            if (!session) {
                if (session.error().code != service::DomainErrc::NotFound) {
                    log::warning("cannot read whether session " + std::to_string(id) +
                                 " of another server has stopped: " + session.error().for_log());
                }
                return session.error().code == service::DomainErrc::NotFound;
            }
            return domain::is_final(session->status);
        });
        if (sessions.empty()) {
            return;
        }
        if (Steady::now() >= deadline) {
            log::warning("session " + std::to_string(sessions.front()) +
                         " of another server had not stopped in time; its policy is deleted all the same");
            return;
        }
        std::this_thread::sleep_for(kRemoteStopPoll);
    }
}

std::size_t Runner::running() const
{
    std::lock_guard lock(mutex_);
    return runs_.size();
}

service::Outcome<std::size_t> Runner::active_runs(const std::string& policy_id)
{
    auto runs = records_.of_policy(policy_id);
    if (!runs) {
        return runs.error();
    }
    return runs->size();
}

void Runner::end_unstarted(std::int64_t session_id, SessionStatus status, std::string why)
{
    const auto session = std::to_string(session_id);
    if (auto r = sessions_.append_message(service::kSystem, session_id, status, std::move(why)); !r) {
        log::warning("cannot log why session " + session + " did not run: " + r.error().for_log());
    }
    domain::SessionChange change;
    change.status = status;
    if (auto changed = sessions_.change(service::kSystem, session_id, change, nullptr); !changed) {
        log::warning("cannot end session " + session + ", which did not run: " + changed.error().for_log());
    }
}

void Runner::shutdown()
{
    std::unique_lock lock(mutex_);
    shutting_down_ = true;
    for (auto& [id, run] : runs_) {
        run->request(StopReason::Shutdown);
    }
    // A start in flight enters its run stopped (Shutdown): its thread must be done before the runner goes.
    ended_.wait(lock, [&] { return runs_.empty() && starting_.empty(); });
}

void Runner::say(const Run& run, SessionStatus status, std::string message)
{
    // Once a client has ended the session its log is closed: what the run still says is dropped.
    if (run.stop.load() == StopReason::SessionEnded) {
        return;
    }
    if (auto r = sessions_.append_message(service::kSystem, run.session.id, status, std::move(message)); !r) {
        log::warning("cannot append to the log of session " + std::to_string(run.session.id) + ": " +
                     r.error().for_log());
    }
}

void Runner::execute(const std::shared_ptr<Run>& run)
{
    util::name_this_thread("policy-run");
    std::optional<ExitOutcome> outcome;
    if (auto child = start_child(*run)) {
        outcome = supervise(*run, *child);
    }
    end_run(run, std::move(outcome));
}

std::optional<Child> Runner::start_child(Run& run)
{
    const auto& policy = run.policy;
    const auto id = run.session.id;
    ChildCommand command;
    command.argv = policy.command;
    for (const auto& [name, value] : policy.environment) {
        auto& variable = command.environment.emplace_back(name);
        variable += '=';
        variable += value;
    }
    command.directory = policy.working_directory.empty() ? config_.default_working_directory : policy.working_directory;
    command.umask = config_.command_umask;
    command.descriptor_limit = config_.command_descriptor_limit;
    auto launched = launcher_.launch(command);
    if (!launched) {
        say(run, SessionStatus::Error, "Cannot start the command: " + launched.error());
        return std::nullopt;
    }
    auto child = std::move(*launched);
    const auto pid = child.pid;
    if (config_.keeper != nullptr) {
        config_.keeper->watch(pid);
    }
    const auto abandon = [&] {
        ::kill(-pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (config_.keeper != nullptr) {
            config_.keeper->forget(pid);
        }
    };
    // The child waits for this record before it runs the command: a run that a restart could not find and end
    // does not start.
    auto recorded = records_.record(store::PolicyRun{id, policy.id, pid, process_start_ticks(pid), {}});
    if (!recorded || !child.release()) {
        log::error("session " + std::to_string(id) + ": cannot record the run, so it does not start: " +
                   (recorded ? std::string(std::strerror(errno)) : recorded.error().for_log()));
        say(run, SessionStatus::Error, "Not started: the server could not record the run (its log says why).");
        abandon();
        return std::nullopt;
    }
    if (const auto failure = child.exec_failure()) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        const std::string what = failure->stage == 0 ? "Cannot enter the working directory '" + command.directory + "'"
                                                     : "Cannot run '" + policy.command.front() + "'";
        say(run, SessionStatus::Error, what + ": " + std::strerror(failure->error) + ".");
        if (config_.keeper != nullptr) {
            config_.keeper->forget(pid);
        }
        return std::nullopt;
    }
    return child;
}

ExitOutcome Runner::supervise(Run& run, Child& child)
{
    const auto& policy = run.policy;
    const auto id = run.session.id;
    const auto pid = child.pid;
    auto& output_read = child.output;
    const auto log_closed = [&] { return run.stop.load() == StopReason::SessionEnded; };
    const auto append = [&](SessionStatus status, std::string message) { say(run, status, std::move(message)); };
    Fd process(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); // readable once the child exits
    ::fcntl(output_read.get(), F_SETFL, O_NONBLOCK);

    const auto started = Steady::now();
    std::optional<Steady::time_point> timeout_at;
    if (policy.timeout_seconds) {
        timeout_at = started + std::chrono::seconds(std::clamp<std::int64_t>(*policy.timeout_seconds, 0, kMaxSeconds));
    }
    std::optional<Steady::time_point> kill_at;
    bool terminated = false;
    bool exited = false;
    int wait_status = 0;
    OutputLines written;
    std::vector<char> buffer(OutputLines::kMaxLine);

    // Appends the complete lines written so far (and, when `final`, the rest).
    const auto flush_lines = [&](bool final) {
        auto lines = written.take(final);
        if (lines.empty() || log_closed()) {
            return;
        }
        std::vector<service::AppendLogEntry> entries(lines.size());
        for (std::size_t i = 0; i < lines.size(); ++i) {
            entries[i].status = SessionStatus::Success;
            entries[i].message = std::move(lines[i]);
        }
        if (auto r = sessions_.append_log(service::kSystem, id, entries, nullptr); !r) {
            log::warning("cannot append output to session " + std::to_string(id) + ": " + r.error().for_log());
        }
    };

    const auto terminate = [&](StopReason reason) {
        if (terminated) {
            return;
        }
        terminated = true;
        const auto grace = std::chrono::seconds(std::min(policy.stop_grace_seconds, kMaxSeconds));
        kill_at = Steady::now() + grace;
        std::string message;
        switch (reason) {
        case StopReason::Timeout:
            message = "Timed out after " + std::to_string(*policy.timeout_seconds) + " s";
            break;
        case StopReason::PolicyDeleted:
            message = "Stopping: the policy was deleted";
            break;
        case StopReason::Shutdown:
            message = "Stopping: the server is shutting down";
            break;
        case StopReason::SessionEnded:
            log::info("session " + std::to_string(id) + " was ended by a client; stopping its command");
            break;
        default:
            message = "Stopping by request";
            break;
        }
        append(SessionStatus::Warning,
               message + "; sent SIGTERM, SIGKILL follows in " + std::to_string(policy.stop_grace_seconds) + " s.");
        ::kill(-pid, SIGTERM);
    };

    bool output_open = true;
    while (!exited || output_open) {
        const auto reason = run.stop.load();
        if (reason != StopReason::None) {
            terminate(reason);
        }
        if (!terminated && timeout_at && Steady::now() >= *timeout_at) {
            run.stop = StopReason::Timeout;
            terminate(StopReason::Timeout);
        }
        if (kill_at && Steady::now() >= *kill_at) {
            ::kill(-pid, SIGKILL);
            kill_at.reset();
        }
        if (exited) {
            // The command has ended: take what is left in the pipe, then end whatever it left behind in its
            // process group (which could otherwise hold the pipe open for ever).
            while (true) {
                const auto n = ::read(output_read.get(), buffer.data(), buffer.size());
                if (n <= 0) {
                    break;
                }
                written.feed({buffer.data(), static_cast<std::size_t>(n)});
                flush_lines(false);
            }
            ::kill(-pid, SIGKILL);
            output_open = false;
            break;
        }
        int timeout_ms = -1;
        const auto now = Steady::now();
        const auto until = [&](Steady::time_point t) {
            const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
            const int clipped = static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
            timeout_ms = timeout_ms < 0 ? clipped : std::min(timeout_ms, clipped);
        };
        if (kill_at) {
            until(*kill_at);
        }
        if (!terminated && timeout_at) {
            until(*timeout_at);
        }
        if (process.get() < 0) {
            until(now + std::chrono::milliseconds(100)); // no pidfd: look for the exit every 100 ms
        }
        std::array<pollfd, 3> fds{{{output_open ? output_read.get() : -1, POLLIN, 0},
                                   {process.get(), POLLIN, 0},
                                   {run.wake.get(), POLLIN, 0}}};
        if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
            break;
        }
        if ((fds[2].revents & POLLIN) != 0) {
            std::uint64_t count = 0;
            (void)!::read(run.wake.get(), &count, sizeof count);
        }
        if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
            const auto n = ::read(output_read.get(), buffer.data(), buffer.size());
            if (n > 0) {
                written.feed({buffer.data(), static_cast<std::size_t>(n)});
                flush_lines(false);
            } else if (n == 0) {
                output_open = false;
            }
        }
        if ((fds[1].revents & POLLIN) != 0 || process.get() < 0) {
            if (::waitpid(pid, &wait_status, WNOHANG) == pid) {
                exited = true;
            }
        }
    }
    if (!exited) {
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &wait_status, 0);
    }
    if (config_.keeper != nullptr) {
        config_.keeper->forget(pid);
    }
    flush_lines(true);
    return exit_outcome(wait_status, policy.warning_exit_codes);
}

void Runner::end_run(const std::shared_ptr<Run>& run, std::optional<ExitOutcome> outcome)
{
    const auto id = run->session.id;
    // Before the final status: a client that sees the session ended may start the policy again at once.
    remove_run_record(id);
    std::string exit_message = outcome ? std::move(outcome->message) : std::string();
    // How the run ends: a stop wins over the exit code; a timeout is an Error.
    SessionStatus final_status = outcome ? outcome->status : SessionStatus::Error;
    const auto reason = run->stop.load();
    if (reason == StopReason::SessionEnded) {
        log::info("session " + std::to_string(id) + ": its command ended. " + exit_message);
        finish(run);
        return;
    }
    auto current = sessions_.get(service::kSystem, id);
    const bool canceling = current && current->status == SessionStatus::Canceling;
    if (reason == StopReason::Timeout) {
        final_status = SessionStatus::Error;
        exit_message += " The run timed out.";
    } else if (reason != StopReason::None || canceling) {
        final_status = SessionStatus::Canceled;
        exit_message += reason == StopReason::Shutdown        ? " Canceled: the server shut down."
                        : reason == StopReason::PolicyDeleted ? " Canceled: the policy was deleted."
                                                              : " Canceled by request.";
    }
    if (!exit_message.empty()) {
        const auto first = exit_message.find_first_not_of(' ');
        say(*run, final_status, exit_message.substr(first == std::string::npos ? 0 : first));
    }
    domain::SessionChange change;
    change.status = final_status;
    if (auto changed = sessions_.change(service::kSystem, id, change, nullptr); !changed) {
        log::warning("cannot record the end of session " + std::to_string(id) + ": " + changed.error().for_log());
    }
    finish(run);
}

void Runner::remove_run_record(std::int64_t session_id)
{
    if (auto removed = records_.forget(session_id); !removed) {
        // The run is over; left in place, its record makes the next start end the session once more, which
        // changes nothing since it is final.
        log::warning("cannot remove the record of session " + std::to_string(session_id) +
                     "'s run: " + removed.error().for_log());
    }
}

void Runner::finish(const std::shared_ptr<Run>& run)
{
    // Notified under the lock: once it is released, a waiting shutdown may destroy the runner, and this thread
    // touches nothing of it any more.
    std::lock_guard lock(mutex_);
    runs_.erase(run->session.id);
    ended_.notify_all();
}

} // namespace jobsessions::runner
