// SPDX-License-Identifier: Apache-2.0
// jobsessions policies list | get, and about.
#include "cli/context.hpp"
#include "cli/errors.hpp"
#include "cli/json_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace jobsessions::cli {
namespace {

void list_policies(const GlobalOptions& global)
{
    ApiClient client(global.connection);
    const auto answer = client.call(HttpRequest{"GET", "/api/v1/policies", {{"Accept", "application/json"}}, {}});
    const auto format = global.format();
    if (format == Format::Json) {
        print_json_text(answer.body);
        return;
    }
    Printer printer(format, policy_columns(), global.style());
    ArrayMemberReader reader("results", [&printer](const boost::json::object& p) { printer.add(p); });
    reader.write(answer.body);
    reader.finish();
    printer.finish();
}

void get_policy(const GlobalOptions& global, const std::string& id)
{
    ApiClient client(global.connection);
    const auto answer =
        client.call(HttpRequest{"GET", "/api/v1/policies/" + query_value(id), {{"Accept", "application/json"}}, {}});
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
    Printer printer(format, policy_columns(), global.style());
    printer.add(doc.as_object());
    printer.finish();
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

} // namespace

void add_policy_commands(CLI::App& app, GlobalOptions& global)
{
    auto* policies = app.add_subcommand("policies", "Policies: the jobs the server runs on a schedule");
    policies->require_subcommand(1);
    auto* list = policies->add_subcommand("list", "List the policies with their schedule, last and next run");
    list->callback([&global] { list_policies(global); });
    auto id = std::make_shared<std::string>();
    auto* get = policies->add_subcommand("get", "Show one policy");
    get->add_option("id", *id, "The policy's id")->required();
    get->footer("\nExample:\n  jobsessions policies get 0097bd8b-bf78-44c6-91aa-e049076b00c0 -o json");
    get->callback([&global, id] { get_policy(global, *id); });

    auto* about_command = app.add_subcommand("about", "The server's version and API versions");
    about_command->callback([&global] { about(global); });
}

} // namespace jobsessions::cli
