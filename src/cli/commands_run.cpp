// SPDX-License-Identifier: Apache-2.0
// jobsessions run: a local command as a session on the server.
#include "jobsessions/util/utf8.hpp"

#include "cli/context.hpp"
#include "cli/errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <thread>

namespace jobsessions::cli {
namespace {

// A line longer than this is sent in pieces, as the server's own runner does.
constexpr std::size_t kLongestLine = std::size_t{64} * 1024;
// Lines waiting to be sent; past this the command's output pipe is no longer read, so it waits (nothing dropped).
constexpr std::size_t kMostWaitingBytes = std::size_t{32} * 1024 * 1024;
// A batch stays well under the server's 1 MiB body limit even if every byte needed escaping (6 bytes in JSON).
constexpr std::size_t kBatchLines = 5'000;
constexpr std::size_t kBatchBytes = std::size_t{128} * 1024;
constexpr auto kBatchWait = std::chrono::milliseconds(100);
// With nothing to send for this long, the session's status is asked for (a stop request).
constexpr auto kStatusCheck = std::chrono::seconds(2);
constexpr auto kStopGrace = std::chrono::seconds(30);

struct RunOptions {
    std::string type = "PolicyBackup";
    std::string policy_name;
    std::string idempotency_key;
    std::string warning_exit_codes_text;
    std::vector<std::string> command;
};

std::string random_key()
{
    std::random_device device;
    std::array<unsigned, 4> words{device(), device(), device(), device()};
    std::string out;
    static constexpr char kHex[] = "0123456789abcdef";
    for (const auto word : words) {
        for (int shift = 28; shift >= 0; shift -= 4) {
            out.push_back(kHex[(word >> static_cast<unsigned>(shift)) & 0xFU]);
        }
    }
    return out;
}

/// The command's lines on their way to the server, in order, bounded in bytes.
class LineQueue {
public:
    void push(std::string line)
    {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [this] { return bytes_ < kMostWaitingBytes; });
        bytes_ += line.size();
        lines_.push_back(std::move(line));
        ready_.notify_one();
    }
    /// The last line, and the end: in one step, so that the batch holding it is the one that ends.
    void push_last(std::string line)
    {
        const std::lock_guard lock(mutex_);
        bytes_ += line.size();
        lines_.push_back(std::move(line));
        closed_ = true;
        ready_.notify_one();
    }
    /// Up to kBatchLines lines and about kBatchBytes, waiting up to `wait` for the first; `ended` once closed and
    /// empty.
    std::vector<std::string> take(std::chrono::milliseconds wait, bool& ended)
    {
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, wait, [this] { return !lines_.empty() || closed_; });
        std::vector<std::string> batch;
        std::size_t batch_bytes = 0;
        while (!lines_.empty() && batch.size() < kBatchLines &&
               (batch.empty() || batch_bytes + lines_.front().size() <= kBatchBytes)) {
            batch_bytes += lines_.front().size();
            bytes_ -= lines_.front().size();
            batch.push_back(std::move(lines_.front()));
            lines_.pop_front();
        }
        ended = closed_ && lines_.empty();
        room_.notify_all();
        return batch;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable room_;
    std::deque<std::string> lines_;
    std::size_t bytes_ = 0;
    bool closed_ = false;
};

/// Sends a write until the server has it: a failed connection is tried again (with the same Idempotency-Key, so
/// that a write the server did but could not answer is not made twice); a refusal (4xx) is final.
boost::json::value send_until_done(ApiClient& client, const HttpRequest& request)
{
    for (int attempt = 0;; ++attempt) {
        try {
            return client.call_json(request);
        } catch (const HttpProblem& problem) {
            if (problem.status() < 500) {
                throw;
            }
        } catch (const CliError& e) {
            if (attempt == 0) {
                std::cerr << "jobsessions: " << e.what() << "; trying again\n";
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt + 1, 5) * 500));
    }
}

// The command's process group and the signal that interrupted this process (Ctrl-C, a service stop), for the
// handler below.
volatile std::sig_atomic_t command_group = 0;
volatile std::sig_atomic_t interrupted_by = 0;

// SIGINT and SIGTERM reach this process, not the command in its own group: passed on, so that the command stops
// and its session still ends.
extern "C" void pass_on_signal(int signal_number)
{
    interrupted_by = signal_number;
    if (command_group > 0) {
        ::kill(-command_group, SIGTERM);
    }
}

pid_t start_command(const std::vector<std::string>& command, int output)
{
    std::vector<char*> argv;
    argv.reserve(command.size() + 1);
    for (const auto& arg : command) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Only async-signal-safe calls from here on.
        ::setpgid(0, 0); // its own process group, so that a stop reaches whatever it started
        ::dup2(output, STDOUT_FILENO);
        ::dup2(output, STDERR_FILENO);
        ::close_range(3, ~0U, 0); // nothing of this process (its connection to the server) reaches the command
        ::execvp(argv[0], argv.data());
        static constexpr char kCannotRun[] = "jobsessions: cannot run the command (not found, or not executable)\n";
        (void)!::write(STDERR_FILENO, kCannotRun, sizeof kCannotRun - 1); // the exit code says it anyway
        ::_exit(127);
    }
    return pid;
}

std::vector<int> parse_exit_codes(const std::string& text)
{
    std::vector<int> codes;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');) {
        int code = -1;
        const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), code);
        if (error != std::errc() || end != item.data() + item.size() || code < 0 || code > 255) {
            throw CliError(kUsage, "--warning-exit-codes takes exit codes (0-255) separated by commas: " + text);
        }
        codes.push_back(code);
    }
    return codes;
}

int run(const GlobalOptions& global, const RunOptions& options)
{
    const auto warning_exit_codes = parse_exit_codes(options.warning_exit_codes_text);
    ApiClient client(global.connection);
    const std::string key = options.idempotency_key.empty() ? random_key() : options.idempotency_key;
    boost::json::object create{{"type", options.type}, {"status", "Running"}};
    if (!options.policy_name.empty()) {
        create["backupJobInfo"] = boost::json::object{{"policyName", options.policy_name}};
    }
    const auto session = send_until_done(
        client, HttpRequest{"POST",
                            "/api/v1/jobSessions",
                            {{"Content-Type", "application/json"}, {"Idempotency-Key", key + "-create"}},
                            boost::json::serialize(create)});
    const std::string id(session.at("id").as_string());
    std::cerr << "jobsessions: session " << id << "\n";

    std::array<int, 2> pipe_fds{};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        throw CliError(kError, std::string("cannot make a pipe: ") + std::strerror(errno));
    }
    const pid_t child = start_command(options.command, pipe_fds[1]);
    ::close(pipe_fds[1]);
    if (child < 0) {
        throw CliError(kError, std::string("cannot start the command: ") + std::strerror(errno));
    }
    command_group = child;
    struct sigaction pass_on {};
    pass_on.sa_handler = pass_on_signal;
    ::sigemptyset(&pass_on.sa_mask);
    pass_on.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &pass_on, nullptr);
    ::sigaction(SIGTERM, &pass_on, nullptr);

    LineQueue queue;
    // The status of the last line, set before the queue closes (the queue's lock orders it for the sender).
    std::string ending_status = "Success";
    std::atomic<bool> stop_requested{false};
    std::exception_ptr sender_failure;
    // The sender: batches of lines in order, each with its own Idempotency-Key, and the stop request it sees.
    std::thread sender([&] {
        try {
            auto last_contact = std::chrono::steady_clock::now();
            // When SIGTERM went to the command; SIGKILL follows after the grace.
            std::chrono::steady_clock::time_point terminated_at{};
            bool terminated = false;
            for (std::uint64_t batch_number = 0;;) {
                bool ended = false;
                auto batch = queue.take(kBatchWait, ended);
                std::string status;
                if (!batch.empty()) {
                    boost::json::array log;
                    for (auto& line : batch) {
                        log.push_back(boost::json::object{{"status", "Success"}, {"message", std::move(line)}});
                    }
                    if (ended) {
                        // The last line says how the command ended, with the status it ended in.
                        log.back().as_object()["status"] = ending_status;
                    }
                    const auto answer = send_until_done(
                        client, HttpRequest{"POST",
                                            "/api/v1/jobSessions/" + id + "/log",
                                            {{"Content-Type", "application/json"},
                                             {"Idempotency-Key", key + "-log-" + std::to_string(batch_number++)}},
                                            boost::json::serialize(boost::json::object{{"log", std::move(log)}})});
                    status = std::string(answer.at("sessionStatus").as_string());
                    last_contact = std::chrono::steady_clock::now();
                } else if (!ended && std::chrono::steady_clock::now() - last_contact > kStatusCheck) {
                    try {
                        status = std::string(client.call_json(HttpRequest{"GET", "/api/v1/jobSessions/" + id, {}, {}})
                                                 .at("status")
                                                 .as_string());
                    } catch (const HttpProblem&) {
                        throw;
                    } catch (const CliError&) {
                        // The server is unreachable for now: the next check will tell.
                    }
                    last_contact = std::chrono::steady_clock::now();
                }
                if ((status == "Canceling" || status == "Canceled") && !stop_requested.exchange(true)) {
                    std::cerr << "jobsessions: the session was stopped from the server; stopping the command\n";
                    ::kill(-child, SIGTERM);
                    terminated_at = std::chrono::steady_clock::now();
                    terminated = true;
                }
                if (terminated && std::chrono::steady_clock::now() - terminated_at > kStopGrace) {
                    ::kill(-child, SIGKILL);
                    terminated = false;
                }
                if (ended) {
                    return;
                }
            }
        } catch (...) {
            sender_failure = std::current_exception();
            ::kill(-child, SIGTERM); // the session cannot be written any more: the command stops too
        }
    });

    // The reader: the command's output, passed through to ours and split into lines.
    std::array<char, std::size_t{64} * 1024> buffer{};
    std::string partial;
    for (;;) {
        const auto n = ::read(pipe_fds[0], buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        (void)!::write(STDOUT_FILENO, buffer.data(), static_cast<std::size_t>(n)); // a closed stdout stops no backup
        partial.append(buffer.data(), static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t newline; (newline = partial.find('\n', start)) != std::string::npos; start = newline + 1) {
            auto line = std::string_view(partial).substr(start, newline - start);
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            for (std::size_t at = 0; at < line.size() || at == 0; at += kLongestLine) {
                queue.push(util::to_valid_utf8(line.substr(at, kLongestLine)));
                if (line.size() <= kLongestLine) {
                    break;
                }
            }
        }
        partial.erase(0, start);
        while (partial.size() >= kLongestLine) {
            queue.push(util::to_valid_utf8(std::string_view(partial).substr(0, kLongestLine)));
            partial.erase(0, kLongestLine);
        }
    }
    if (!partial.empty()) {
        queue.push(util::to_valid_utf8(partial));
    }
    ::close(pipe_fds[0]);
    int wait_status = 0;
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }

    std::string ending;
    std::string final_status;
    int exit_code = 0;
    if (WIFEXITED(wait_status)) {
        exit_code = WEXITSTATUS(wait_status);
        const bool warning =
            std::find(warning_exit_codes.begin(), warning_exit_codes.end(), exit_code) != warning_exit_codes.end();
        final_status = exit_code == 0 ? "Success" : warning ? "Warning" : "Error";
        ending = "Exited with code " + std::to_string(exit_code) + ".";
    } else {
        const int signal_number = WTERMSIG(wait_status);
        exit_code = 128 + signal_number;
        final_status = "Error";
        ending = std::string("Killed by signal ") + ::strsignal(signal_number) + ".";
    }
    if (stop_requested) {
        final_status = "Canceled";
        ending = "Stopped by request from the server; " + ending;
    } else if (interrupted_by != 0) {
        final_status = "Canceled";
        ending = std::string("Interrupted on the agent (") + ::strsignal(interrupted_by) + "); " + ending;
    }
    ending_status = final_status == "Success" || final_status == "Warning" ? final_status : "Error";
    queue.push_last(ending);
    sender.join();
    if (sender_failure) {
        std::rethrow_exception(sender_failure);
    }
    const auto finished =
        send_until_done(client, HttpRequest{"PATCH",
                                            "/api/v1/jobSessions/" + id,
                                            {{"Content-Type", "application/json"}},
                                            boost::json::serialize(boost::json::object{{"status", final_status}})});
    std::cerr << "jobsessions: session " << id << " ended " << std::string(finished.at("status").as_string()) << "\n";
    if (interrupted_by != 0) {
        return kInterrupted;
    }
    return stop_requested ? static_cast<int>(kSessionFailed) : exit_code;
}

} // namespace

void add_run_command(CLI::App& app, GlobalOptions& global, int& exit_code)
{
    auto options = std::make_shared<RunOptions>();
    auto* command = app.add_subcommand("run", "Run a command here as a session on the server: its output is the "
                                              "session's log, its exit code the session's outcome");
    command->add_option("--type", options->type, "The session's type")->capture_default_str();
    command->add_option("--policy-name", options->policy_name, "The policy name the session shows");
    command->add_option("--idempotency-key", options->idempotency_key,
                        "Makes a retried run (the same key) create its session once");
    // One value ("1,2"), so that nothing after it is ever taken for more codes.
    command->add_option("--warning-exit-codes", options->warning_exit_codes_text,
                        "Exit codes that end the session Warning rather than Error (comma-separated)");
    command->add_option("command", options->command, "The command and its arguments, after --")->required();
    command->footer("\nExamples:\n"
                    "  jobsessions run --policy-name home-folder -- tar -czf /backup/home.tgz /home\n"
                    "  jobsessions run --type PolicyBackup --warning-exit-codes 1 -- rsync -a /srv/ /mnt/backup/\n"
                    "\nThe command's output goes to the session's log (and to this terminal); when the session is\n"
                    "stopped from the server the command gets SIGTERM, and SIGKILL 30 s later. The exit code is\n"
                    "the command's (5 when it was stopped from the server).");
    command->callback([&global, options, &exit_code] { exit_code = run(global, *options); });
}

} // namespace jobsessions::cli
