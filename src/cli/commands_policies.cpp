// SPDX-License-Identifier: Apache-2.0
// jobsessions policies list | get, and about.
#include "cli/context.hpp"
#include "cli/errors.hpp"
#include "cli/following.hpp"
#include "cli/json_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

namespace jobsessions::cli {
namespace {

void list_policies(const GlobalOptions& global)
{
    ApiClient client(global.connection);
    const auto answer = client.call(HttpRequest{"GET", "/api/v1/policies", {{"Accept", "application/json"}}, {}});
    print_items(global, answer.body, "results", policy_columns());
}

void get_policy(const GlobalOptions& global, const std::string& id)
{
    ApiClient client(global.connection);
    const auto answer =
        client.call(HttpRequest{"GET", "/api/v1/policies/" + query_value(id), {{"Accept", "application/json"}}, {}});
    print_item(global, answer.body, policy_columns());
}

// The server's version: public, so it needs no login, only the server.
void about(const GlobalOptions& global)
{
    std::string server = global.connection.server;
    Trust trust{global.connection.fingerprint, global.connection.cacert, global.connection.insecure};
    std::unique_ptr<ApiClient> client;
    HttpResponse answer;
    try {
        client = std::make_unique<ApiClient>(global.connection);
        answer = client->connection().send(HttpRequest{"GET", "/api/v1/system/about", {}, {}});
    } catch (const CliError& e) {
        if (e.code() != kNotAllowed || server.empty()) {
            throw;
        }
        Connection connection(server, trust); // not signed in: --server alone will do
        answer = connection.send(HttpRequest{"GET", "/api/v1/system/about", {}, {}});
    }
    if (answer.status != 200) {
        throw CliError(exit_code_for(answer.status), problem_text(answer));
    }
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
    std::vector<Column> columns;
    for (const auto& [key, value] : doc.as_object()) {
        const std::string name(key);
        auto cell = [name](const boost::json::object& o) {
            const auto& v = o.at(name);
            return v.is_string() ? std::string(v.get_string()) : boost::json::serialize(v);
        };
        columns.push_back(Column{name, [cell](const boost::json::object& o, const Style&) { return cell(o); }, cell});
    }
    Printer printer(format, std::move(columns), global.style());
    printer.add(doc.as_object());
    printer.finish();
}

// A policy definition from a JSON file ("-": stdin).
boost::json::object read_definition(const std::string& file)
{
    std::stringstream text;
    if (file == "-") {
        text << std::cin.rdbuf();
    } else {
        std::ifstream in(file);
        if (!in) {
            throw CliError(kUsage, "cannot read " + file);
        }
        text << in.rdbuf();
    }
    boost::system::error_code ec;
    auto doc = boost::json::parse(text.str(), ec);
    if (ec || !doc.is_object()) {
        throw CliError(kUsage, file + " is not a JSON object (a policy as the API takes it)");
    }
    return std::move(doc.as_object());
}

void print_policy(const GlobalOptions& global, const std::string& body)
{
    print_item(global, body, policy_columns());
}

void create_policy(const GlobalOptions& global, const std::string& file)
{
    const auto definition = read_definition(file);
    ApiClient client(global.connection);
    const auto answer = client.call(HttpRequest{"POST",
                                                "/api/v1/policies",
                                                {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                                                boost::json::serialize(definition)});
    print_policy(global, answer.body);
}

// Creates the policy, or replaces the one of the same name (names are unique without regard to case).
void apply_policy(const GlobalOptions& global, const std::string& file)
{
    const auto definition = read_definition(file);
    const auto* name = definition.if_contains("name");
    if (name == nullptr || !name->is_string()) {
        throw CliError(kUsage, file + " has no \"name\": apply finds the policy to replace by its name");
    }
    const auto lower = [](std::string_view text) {
        std::string out(text);
        for (auto& c : out) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return out;
    };
    ApiClient client(global.connection);
    const auto existing = client.call_json(HttpRequest{"GET", "/api/v1/policies", {}, {}});
    std::string id;
    for (const auto& policy : existing.at("results").as_array()) {
        if (lower(policy.at("name").as_string()) == lower(name->get_string())) {
            id = std::string(policy.at("id").as_string());
        }
    }
    const HttpRequest request{id.empty() ? "POST" : "PUT",
                              id.empty() ? "/api/v1/policies" : "/api/v1/policies/" + id,
                              {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                              boost::json::serialize(definition)};
    const auto answer = client.call(request);
    std::cerr << (id.empty() ? "Created" : "Replaced") << " policy " << std::string(name->get_string()) << ".\n";
    print_policy(global, answer.body);
}

void delete_policy(const GlobalOptions& global, const std::string& id, bool force)
{
    ApiClient client(global.connection);
    client.call(HttpRequest{"DELETE", "/api/v1/policies/" + query_value(id) + (force ? "?force=true" : ""), {}, {}});
    std::cerr << "Deleted policy " << id << ".\n";
}

// Enabling and disabling replace the definition with `enabled` changed; what the server adds is left out.
void set_enabled(const GlobalOptions& global, const std::string& id, bool enabled)
{
    ApiClient client(global.connection);
    auto policy = client.call_json(HttpRequest{"GET", "/api/v1/policies/" + query_value(id), {}, {}}).as_object();
    for (const char* server_member : {"id", "usn", "_links", "nextRunUtc", "lastRun"}) {
        policy.erase(server_member);
    }
    policy["enabled"] = enabled;
    const auto answer = client.call(HttpRequest{"PUT",
                                                "/api/v1/policies/" + query_value(id),
                                                {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                                                boost::json::serialize(policy)});
    std::cerr << (enabled ? "Enabled" : "Disabled") << " policy " << std::string(policy.at("name").as_string())
              << ".\n";
    print_policy(global, answer.body);
}

struct StartOptions {
    std::string id;
    bool follow = false;
    bool exit_status = false;
};

void start_policy(const GlobalOptions& global, const StartOptions& options)
{
    ApiClient client(global.connection);
    const auto session =
        client.call_json(HttpRequest{"POST", "/api/v1/policies/" + query_value(options.id) + "/start", {}, {}});
    const std::string session_id(session.at("id").as_string());
    std::cerr << "Started session " << session_id << ".\n";
    if (!options.follow) {
        std::printf("%s\n", session_id.c_str());
        return;
    }
    const auto status = follow_log(client, global, session_id, 0);
    if (options.exit_status && outcome_exit_code(status) != kSuccess) {
        throw CliError(outcome_exit_code(status), "session " + session_id + " ended " + status);
    }
}

} // namespace

void add_policy_commands(CLI::App& app, GlobalOptions& global)
{
    auto* policies = app.add_subcommand("policies", "Policies: the jobs the server runs on a schedule");
    policies->require_subcommand(1);
    auto* list = policies->add_subcommand("list", "List the policies with their schedule, last and next run");
    list->footer(
        "\nExamples:\n  jobsessions policies list\n  jobsessions policies list -o json | jq -r '.results[].name'");
    list->callback([&global] { list_policies(global); });
    auto id = std::make_shared<std::string>();
    auto* get = policies->add_subcommand("get", "Show one policy");
    get->add_option("id", *id, "The policy's id")->required();
    get->footer("\nExample:\n  jobsessions policies get 0097bd8b-bf78-44c6-91aa-e049076b00c0 -o json");
    get->callback([&global, id] { get_policy(global, *id); });

    auto file = std::make_shared<std::string>();
    auto* create = policies->add_subcommand("create", "Define a new policy from a JSON file (Administrator)");
    create->add_option("-f,--file", *file, "The policy as the API takes it; - for stdin")->required();
    create->footer("\nExample:\n  jobsessions policies create -f home-folder.json");
    create->callback([&global, file] { create_policy(global, *file); });
    auto* apply = policies->add_subcommand("apply", "Create the policy, or replace the one of the same name");
    apply->add_option("-f,--file", *file, "The policy as the API takes it; - for stdin")->required();
    apply->footer("\nExample:\n  jobsessions policies apply -f policies/nightly.json   # safe to run again");
    apply->callback([&global, file] { apply_policy(global, *file); });

    auto force = std::make_shared<bool>(false);
    auto* remove = policies->add_subcommand("delete", "Delete a policy (its sessions stay)");
    remove->add_option("id", *id, "The policy's id")->required();
    remove->add_flag("--force", *force, "Stop its running sessions first (otherwise refused while it runs)");
    remove->footer("\nExample:\n  jobsessions policies delete $P --force");
    remove->callback([&global, id, force] { delete_policy(global, *id, *force); });
    auto* enable = policies->add_subcommand("enable", "Let the schedule start the policy");
    enable->add_option("id", *id, "The policy's id")->required();
    enable->footer("\nExample:\n  jobsessions policies enable $P");
    enable->callback([&global, id] { set_enabled(global, *id, true); });
    auto* disable = policies->add_subcommand("disable", "Keep the schedule from starting the policy");
    disable->add_option("id", *id, "The policy's id")->required();
    disable->footer("\nExample:\n  jobsessions policies disable $P   # e.g. during maintenance");
    disable->callback([&global, id] { set_enabled(global, *id, false); });

    auto start_options = std::make_shared<StartOptions>();
    auto* start = policies->add_subcommand("start", "Run a policy now (Operator, Administrator); prints the session");
    start->add_option("id", start_options->id, "The policy's id")->required();
    start->add_flag("--follow,-f", start_options->follow, "Print the run's log as it is written, until it ends");
    start->add_flag("--exit-status", start_options->exit_status,
                    "With --follow: exit 5 when the run ends Error, Canceled or NeverExecuted");
    start->footer("\nExample:\n  jobsessions policies start $P --follow --exit-status");
    start->callback([&global, start_options] { start_policy(global, *start_options); });

    auto* about_command = app.add_subcommand("about", "The server's version and API versions");
    about_command->footer("\nExample:\n  jobsessions about --server https://backup.example.com:8443 -o yaml");
    about_command->callback([&global] { about(global); });
}

} // namespace jobsessions::cli
