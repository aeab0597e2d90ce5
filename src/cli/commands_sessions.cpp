// SPDX-License-Identifier: Apache-2.0
// jobsessions sessions list | get | log.
#include "cli/context.hpp"
#include "cli/errors.hpp"
#include "cli/following.hpp"
#include "cli/json_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace jobsessions::cli {
namespace {

struct ListOptions {
    std::vector<std::string> types;
    std::vector<std::string> statuses;
    std::string policy;
    std::string from;
    std::string to;
    std::string text;
    std::string usn;
    int limit = 30;
    int offset = 0;
    bool all = false;
};

struct LogOptions {
    std::string id;
    int offset = 0;
    int limit = -1;
    bool follow = false;
    bool exit_status = false;
};

struct ExportOptions {
    ListOptions filters;
    std::string format = "csv";
    std::string output_file;
};

struct CreateOptions {
    std::string type = "PolicyBackup";
    std::string status = "Running";
    std::string policy_name;
    std::string idempotency_key;
};

struct AppendOptions {
    std::string id;
    std::string status = "Success";
    std::vector<std::string> messages;
    std::string idempotency_key;
};

struct WaitOptions {
    std::string id;
    std::string timeout;
    bool exit_status = false;
};

// The feed's own highest usn: asking after every possible one answers at once.
constexpr std::string_view kAfterEverything = "9007199254740991";
// A long poll waits up to 30 s on the server; the connection's step deadline must outlast it.
constexpr auto kLongPollStep = std::chrono::seconds(45);

std::string list_target(const ListOptions& o)
{
    std::string target = "/api/v1/jobSessions?offset=" + std::to_string(o.all ? 0 : o.offset) +
                         "&limit=" + std::to_string(o.all ? -1 : o.limit);
    for (const auto& type : o.types) {
        target += "&Types=" + query_value(type);
    }
    for (const auto& status : o.statuses) {
        target += "&Status=" + query_value(status);
    }
    const std::pair<const char*, const std::string*> singles[] = {
        {"PolicyId", &o.policy}, {"FromUtc", &o.from}, {"ToUtc", &o.to}, {"Filter", &o.text}, {"Usn", &o.usn}};
    for (const auto& [name, value] : singles) {
        if (!value->empty()) {
            target += std::string("&") + name + "=" + query_value(*value);
        }
    }
    return target;
}

void list_sessions(const GlobalOptions& global, const ListOptions& options)
{
    ApiClient client(global.connection);
    const auto format = global.format();
    HttpRequest request{"GET", list_target(options), {{"Accept", "application/json"}}, {}};
    if (!options.all) {
        const auto answer = client.call(request);
        if (format == Format::Json) {
            print_json_text(answer.body); // the API's JSON, unchanged
            return;
        }
        Printer printer(format, session_columns(), global.style());
        ArrayMemberReader reader("results", [&printer](const boost::json::object& s) { printer.add(s); });
        reader.write(answer.body);
        reader.finish();
        printer.finish();
        if (format == Format::Table && ::isatty(STDOUT_FILENO) == 1) {
            std::cout << reader.top_level_integer("totalCount") << " sessions match; this page starts at "
                      << options.offset << " (--limit, --offset, --all)\n";
        }
        return;
    }
    // Every match, read as the server streams it: one session in memory at a time.
    client.connection().set_step_timeout(std::chrono::minutes(2));
    Printer printer(format, session_columns(), global.style());
    ArrayMemberReader reader("results", [&printer](const boost::json::object& s) { printer.add(s); });
    client.stream(request, [&reader](std::string_view piece) {
        reader.write(piece);
        return true;
    });
    reader.finish();
    printer.finish();
}

void get_session(const GlobalOptions& global, const std::string& id)
{
    ApiClient client(global.connection);
    const auto answer =
        client.call(HttpRequest{"GET", "/api/v1/jobSessions/" + query_value(id), {{"Accept", "application/json"}}, {}});
    print_item(global, answer.body, session_columns());
}

void show_log(const GlobalOptions& global, const LogOptions& options)
{
    ApiClient client(global.connection);
    if (options.follow) {
        const auto status = follow_log(client, global, options.id, options.offset);
        if (options.exit_status && outcome_exit_code(status) != kSuccess) {
            throw CliError(outcome_exit_code(status), "session " + options.id + " ended " + status);
        }
        return;
    }
    std::string target =
        "/api/v1/jobSessions/" + query_value(options.id) + "/log?offset=" + std::to_string(options.offset);
    if (options.limit >= 0) {
        target += "&limit=" + std::to_string(options.limit);
    }
    HttpRequest request{"GET", target, {{"Accept", "application/json"}}, {}};
    client.connection().set_step_timeout(std::chrono::minutes(2));
    const auto format = global.format();
    if (format == Format::Json) {
        // The API's JSON as it streams in.
        bool ends_with_newline = false;
        client.stream(request, [&ends_with_newline](std::string_view piece) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            ends_with_newline = piece.back() == '\n';
            return true;
        });
        if (!ends_with_newline) {
            std::fputc('\n', stdout);
        }
        return;
    }
    Printer printer(format, log_columns(), global.style());
    printer.no_header = true;
    ArrayMemberReader reader("log", [&printer](const boost::json::object& entry) { printer.add(entry); });
    client.stream(request, [&reader](std::string_view piece) {
        reader.write(piece);
        return true;
    });
    reader.finish();
    printer.finish();
}

// The filters of a list as the export takes them (the same query parameters, without paging).
std::string export_target(const ListOptions& filters)
{
    auto target = list_target(filters);
    const auto query = target.find('&');
    return "/api/v1/jobSessions/export" + (query == std::string::npos ? std::string() : "?" + target.substr(query + 1));
}

// Every matching session as the server streams it: to stdout, or to a file that appears whole or not at all.
void export_sessions(const GlobalOptions& global, const ExportOptions& options)
{
    ApiClient client(global.connection);
    client.connection().set_step_timeout(std::chrono::minutes(2));
    auto filters = options.filters;
    filters.all = true;
    HttpRequest request{
        "POST", export_target(filters), {{"Accept", options.format == "json" ? "application/json" : "text/csv"}}, {}};
    std::FILE* out = stdout;
    const std::string partial = options.output_file.empty() ? std::string() : options.output_file + ".part";
    if (!partial.empty()) {
        out = std::fopen(partial.c_str(), "we");
        if (out == nullptr) {
            throw CliError(kError, "cannot write " + partial + ": " + std::strerror(errno));
        }
    }
    // A progress line when stderr is a terminal, at most five times a second.
    const bool progress = ::isatty(STDERR_FILENO) == 1;
    std::size_t bytes = 0;
    auto shown = std::chrono::steady_clock::now();
    try {
        client.stream(request, [&](std::string_view piece) {
            if (std::fwrite(piece.data(), 1, piece.size(), out) != piece.size()) {
                throw CliError(kError, "cannot write the export: " + std::string(std::strerror(errno)));
            }
            bytes += piece.size();
            if (progress && std::chrono::steady_clock::now() - shown > std::chrono::milliseconds(200)) {
                shown = std::chrono::steady_clock::now();
                std::fprintf(stderr, "\rexported %.1f MB", static_cast<double>(bytes) / 1e6);
            }
            return true;
        });
    } catch (...) {
        if (!partial.empty()) {
            std::fclose(out);
            std::remove(partial.c_str());
        }
        throw;
    }
    if (progress) {
        std::fprintf(stderr, "\rexported %.1f MB\n", static_cast<double>(bytes) / 1e6);
    }
    if (!partial.empty()) {
        const bool written = std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0;
        std::fclose(out);
        if (!written || std::rename(partial.c_str(), options.output_file.c_str()) != 0) {
            std::remove(partial.c_str());
            throw CliError(kError, "cannot write " + options.output_file + ": " + std::strerror(errno));
        }
    } else {
        std::fflush(stdout);
    }
}

boost::json::object fetch_session(ApiClient& client, const std::string& id)
{
    return client.call_json(HttpRequest{"GET", "/api/v1/jobSessions/" + query_value(id), {}, {}}).as_object();
}

void print_session(const GlobalOptions& global, const boost::json::object& session)
{
    print_item(global, boost::json::serialize(session), session_columns());
}

// Waits on the change feed (a long poll the server answers at the next change) until the session ends.
void wait_for_session(const GlobalOptions& global, const WaitOptions& options)
{
    std::optional<std::chrono::seconds> timeout;
    if (!options.timeout.empty()) {
        timeout = parse_duration(options.timeout);
        if (!timeout) {
            throw CliError(kUsage, "--timeout must be a duration such as 90s, 15m, 2h or 1h30m");
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::hours(24 * 365));
    ApiClient client(global.connection);
    client.connection().set_step_timeout(kLongPollStep);
    auto session = fetch_session(client, options.id);
    auto usn = session.at("usn").to_number<std::int64_t>();
    while (!is_final_status(session.at("status").as_string())) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            throw CliError(kTimeout, "session " + options.id + " is still " +
                                         std::string(session.at("status").as_string()) + " after " + options.timeout);
        }
        const auto wait = std::min<std::int64_t>(left.count(), 30);
        const auto answer = client.call_json(HttpRequest{"GET",
                                                         "/api/v1/jobSessions/changes?usn=" + std::to_string(usn) +
                                                             "&limit=1000&wait=" + std::to_string(wait),
                                                         {},
                                                         {}});
        for (const auto& changed : answer.at("results").as_array()) {
            if (changed.at("id").as_string() == options.id) {
                session = changed.as_object();
            }
        }
        usn = answer.at("usn").to_number<std::int64_t>();
    }
    print_session(global, session);
    const std::string status(session.at("status").as_string());
    if (options.exit_status && outcome_exit_code(status) != kSuccess) {
        throw CliError(outcome_exit_code(status), "session " + options.id + " ended " + status);
    }
}

// Prints every session as it changes, from now on (or after usn `after`), until interrupted.
void watch_sessions(const GlobalOptions& global, std::int64_t after)
{
    ApiClient client(global.connection);
    client.connection().set_step_timeout(kLongPollStep);
    auto usn = after >= 0 ? after
                          : client
                                .call_json(HttpRequest{
                                    "GET", "/api/v1/jobSessions/changes?usn=" + std::string(kAfterEverything), {}, {}})
                                .at("usn")
                                .to_number<std::int64_t>();
    const auto format =
        global.format() == Format::Json || global.format() == Format::Yaml ? Format::Jsonl : global.format();
    Printer printer(format, session_columns(), global.style());
    printer.streaming = true;
    for (;;) {
        const auto answer = client.call_json(HttpRequest{
            "GET", "/api/v1/jobSessions/changes?usn=" + std::to_string(usn) + "&limit=1000&wait=30", {}, {}});
        for (const auto& changed : answer.at("results").as_array()) {
            printer.add(changed.as_object());
        }
        usn = answer.at("usn").to_number<std::int64_t>();
    }
}

// The steps of `run` one by one, for scripts that drive a session themselves.
void create_session(const GlobalOptions& global, const CreateOptions& options)
{
    ApiClient client(global.connection);
    boost::json::object body{{"type", options.type}, {"status", options.status}};
    if (!options.policy_name.empty()) {
        body["backupJobInfo"] = boost::json::object{{"policyName", options.policy_name}};
    }
    HttpRequest request{
        "POST", "/api/v1/jobSessions", {{"Content-Type", "application/json"}}, boost::json::serialize(body)};
    if (!options.idempotency_key.empty()) {
        request.headers.emplace_back("Idempotency-Key", options.idempotency_key);
    }
    const auto session = client.call_json(request);
    std::printf("%s\n", std::string(session.at("id").as_string()).c_str());
}

void append_to_session(const GlobalOptions& global, const AppendOptions& options)
{
    std::vector<std::string> lines = options.messages;
    if (lines.size() == 1 && lines.front() == "-") {
        lines.clear();
        for (std::string line; std::getline(std::cin, line);) {
            lines.push_back(line);
        }
    }
    boost::json::array log;
    for (auto& line : lines) {
        log.push_back(boost::json::object{{"status", options.status}, {"message", std::move(line)}});
    }
    ApiClient client(global.connection);
    HttpRequest request{"POST",
                        "/api/v1/jobSessions/" + query_value(options.id) + "/log",
                        {{"Content-Type", "application/json"}},
                        boost::json::serialize(boost::json::object{{"log", std::move(log)}})};
    if (!options.idempotency_key.empty()) {
        request.headers.emplace_back("Idempotency-Key", options.idempotency_key);
    }
    const auto answer = client.call_json(request);
    // An agent learns of a stop request here: it says so, and the caller decides.
    const std::string status(answer.at("sessionStatus").as_string());
    if (status == "Canceling") {
        std::cerr << "jobsessions: session " << options.id << " was asked to stop (Canceling)\n";
    }
}

void finish_session(const GlobalOptions& global, const std::string& id, const std::string& status)
{
    ApiClient client(global.connection);
    const auto session = client.call_json(HttpRequest{"PATCH",
                                                      "/api/v1/jobSessions/" + query_value(id),
                                                      {{"Content-Type", "application/json"}},
                                                      boost::json::serialize(boost::json::object{{"status", status}})});
    print_session(global, session.as_object());
}

void stop_session(const GlobalOptions& global, const std::string& id)
{
    ApiClient client(global.connection);
    client.call(HttpRequest{"POST", "/api/v1/jobSessions/" + query_value(id) + "/stop", {}, {}});
    const auto session = fetch_session(client, id);
    std::cerr << "Asked session " << id << " to stop; it is " << std::string(session.at("status").as_string()) << ".\n";
}

} // namespace

void add_session_commands(CLI::App& app, GlobalOptions& global)
{
    auto* sessions = app.add_subcommand("sessions", "Job sessions: list, show, read their logs");
    sessions->require_subcommand(1);

    auto list_options = std::make_shared<ListOptions>();
    auto* list = sessions->add_subcommand("list", "List sessions, newest first");
    list->add_option("--type", list_options->types, "Only these types (repeat, or comma-separated)")->delimiter(',');
    list->add_option("--status", list_options->statuses, "Only these statuses (repeat, or comma-separated)")
        ->delimiter(',');
    list->add_option("--policy", list_options->policy, "Only the runs of this policy (its id)");
    list->add_option("--from", list_options->from, "Started at or after this time (ISO-8601, or a date)");
    list->add_option("--to", list_options->to, "Started before this time");
    list->add_option("--text", list_options->text, "Policy name or type containing this text");
    list->add_option("--usn", list_options->usn, "Changed after this update sequence number");
    list->add_option("--limit", list_options->limit, "Sessions on the page (1-1000)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    list->add_option("--offset", list_options->offset, "Sessions to skip")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    list->add_flag("--all", list_options->all, "Every matching session, streamed (ignores --limit and --offset)");
    list->footer(
        "\nExamples:\n"
        "  jobsessions sessions list --status Error,Warning --from 2026-12-01\n"
        "  jobsessions sessions list --type PolicyBackup --all -o jsonl | jq -r .id\n"
        "  jobsessions sessions list --all -o tsv | while IFS=$'\\t' read -r id type status rest; do ...; done");
    list->callback([&global, list_options] { list_sessions(global, *list_options); });

    auto export_options = std::make_shared<ExportOptions>();
    auto* exporter = sessions->add_subcommand("export", "Every matching session as a CSV or JSON file, streamed");
    auto& filters = export_options->filters;
    exporter->add_option("--type", filters.types, "Only these types (repeat, or comma-separated)")->delimiter(',');
    exporter->add_option("--status", filters.statuses, "Only these statuses")->delimiter(',');
    exporter->add_option("--policy", filters.policy, "Only the runs of this policy (its id)");
    exporter->add_option("--from", filters.from, "Started at or after this time");
    exporter->add_option("--to", filters.to, "Started before this time");
    exporter->add_option("--text", filters.text, "Policy name or type containing this text");
    exporter->add_option("--usn", filters.usn, "Changed after this update sequence number");
    exporter->add_option("--format", export_options->format, "csv or json")
        ->check(CLI::IsMember({"csv", "json"}))
        ->capture_default_str();
    exporter->add_option("-O,--output-file", export_options->output_file,
                         "Write to this file (it appears once complete) instead of stdout");
    exporter->footer("\nExamples:\n  jobsessions sessions export --from 2026-11-01 --to 2026-12-01 -O november.csv\n"
                     "  jobsessions sessions export --status Error --format json | jq length");
    exporter->callback([&global, export_options] { export_sessions(global, *export_options); });

    auto id = std::make_shared<std::string>();
    auto* get = sessions->add_subcommand("get", "Show one session");
    get->add_option("id", *id, "The session's id")->required();
    get->footer("\nExample:\n  jobsessions sessions get 42 -o yaml");
    get->callback([&global, id] { get_session(global, *id); });

    auto log_options = std::make_shared<LogOptions>();
    auto* log = sessions->add_subcommand("log", "Print a session's log, oldest first");
    log->add_option("id", log_options->id, "The session's id")->required();
    log->add_option("--offset", log_options->offset, "Entries to skip")->check(CLI::NonNegativeNumber);
    log->add_option("--limit", log_options->limit, "At most this many entries (1-10000); the whole log without")
        ->check(CLI::Range(1, 10000));
    log->add_flag("--follow,-f", log_options->follow,
                  "Print lines as they are appended until the session ends (reconnects, losing none)");
    log->add_flag("--exit-status", log_options->exit_status,
                  "With --follow: exit 5 when the session ends Error, Canceled or NeverExecuted");
    log->footer("\nExamples:\n  jobsessions sessions log 42\n  jobsessions sessions log 42 --offset 1000 --limit 50 "
                "-o jsonl\n  jobsessions sessions log 42 --follow --exit-status && echo backed up");
    log->callback([&global, log_options] {
        if (log_options->follow && log_options->limit >= 0) {
            throw CliError(kUsage, "--follow prints the whole log from --offset on: it takes no --limit");
        }
        show_log(global, *log_options);
    });

    auto wait_options = std::make_shared<WaitOptions>();
    auto* wait = sessions->add_subcommand("wait", "Wait until a session ends, then print it");
    wait->add_option("id", wait_options->id, "The session's id")->required();
    wait->add_option("--timeout", wait_options->timeout, "Give up after this long (90s, 15m, 2h): exit 3");
    wait->add_flag("--exit-status", wait_options->exit_status,
                   "Exit 5 when the session ends Error, Canceled or NeverExecuted");
    wait->footer("\nExample:\n  jobsessions sessions wait 42 --timeout 2h --exit-status || page-the-on-call");
    wait->callback([&global, wait_options] { wait_for_session(global, *wait_options); });

    auto* watch = sessions->add_subcommand("watch", "Print sessions as they are created and change, until interrupted");
    auto watch_usn = std::make_shared<std::int64_t>(-1);
    watch->add_option("--usn", *watch_usn, "Start after this update sequence number (default: from now on)")
        ->check(CLI::NonNegativeNumber);
    watch->footer("\nExamples:\n  jobsessions sessions watch -o jsonl | jq -c 'select(.status == \"Error\")'\n"
                  "  jobsessions sessions watch --usn 275   # what changed since usn 275, then as it happens");
    watch->callback([&global, watch_usn] { watch_sessions(global, *watch_usn); });

    auto create_options = std::make_shared<CreateOptions>();
    auto* create = sessions->add_subcommand("create", "Create a session (Agent, Administrator); prints its id");
    create->add_option("--type", create_options->type, "Its type")->capture_default_str();
    create->add_option("--status", create_options->status, "Its status")->capture_default_str();
    create->add_option("--policy-name", create_options->policy_name, "The policy name it shows");
    create->add_option("--idempotency-key", create_options->idempotency_key, "A retry with the same key creates once");
    create->footer("\nExample:\n  ID=$(jobsessions sessions create --policy-name nightly-db)\n"
                   "  make-backup 2>&1 | jobsessions sessions append $ID -\n"
                   "  jobsessions sessions finish $ID --status Success");
    create->callback([&global, create_options] { create_session(global, *create_options); });

    auto append_options = std::make_shared<AppendOptions>();
    auto* append = sessions->add_subcommand("append", "Add lines to a session's log (- reads them from stdin)");
    append->add_option("id", append_options->id, "The session's id")->required();
    append->add_option("message", append_options->messages, "The lines, or - for stdin")->required();
    append->add_option("--status", append_options->status, "Their status (Success, Warning, Error)")
        ->capture_default_str();
    append->add_option("--idempotency-key", append_options->idempotency_key, "A retry with the same key appends once");
    append->footer("\nExamples:\n  jobsessions sessions append $ID \"copied 3 files\"\n"
                   "  make-backup 2>&1 | jobsessions sessions append $ID -");
    append->callback([&global, append_options] { append_to_session(global, *append_options); });

    auto finish_id = std::make_shared<std::string>();
    auto finish_status = std::make_shared<std::string>();
    auto* finish = sessions->add_subcommand("finish", "End a session with its final status");
    finish->add_option("id", *finish_id, "The session's id")->required();
    finish->add_option("--status", *finish_status, "Success, Warning, Error or Canceled")
        ->required()
        ->check(CLI::IsMember({"Success", "Warning", "Error", "Canceled"}));
    finish->footer("\nExample:\n  jobsessions sessions finish $ID --status Warning");
    finish->callback([&global, finish_id, finish_status] { finish_session(global, *finish_id, *finish_status); });

    auto stop_id = std::make_shared<std::string>();
    auto* stop = sessions->add_subcommand("stop", "Ask a running session to stop (Operator, Administrator)");
    stop->add_option("id", *stop_id, "The session's id")->required();
    stop->footer("\nExample:\n  jobsessions sessions stop 42 && jobsessions sessions wait 42");
    stop->callback([&global, stop_id] { stop_session(global, *stop_id); });
}

} // namespace jobsessions::cli
