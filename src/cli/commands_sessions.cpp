// SPDX-License-Identifier: Apache-2.0
// jobsessions sessions list | get | log.
#include "cli/context.hpp"
#include "cli/errors.hpp"
#include "cli/json_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

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
};

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
    const auto format = global.format();
    if (format == Format::Json) {
        print_json_text(answer.body);
        return;
    }
    const auto doc = boost::json::parse(answer.body);
    if (format == Format::Yaml) {
        write_yaml(doc, stdout);
        return;
    }
    Printer printer(format, session_columns(), global.style());
    printer.add(doc.as_object());
    printer.finish();
}

void show_log(const GlobalOptions& global, const LogOptions& options)
{
    ApiClient client(global.connection);
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
    log->footer("\nExamples:\n  jobsessions sessions log 42\n  jobsessions sessions log 42 --offset 1000 --limit 50 "
                "-o jsonl");
    log->callback([&global, log_options] { show_log(global, *log_options); });
}

} // namespace jobsessions::cli
