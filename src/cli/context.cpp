// SPDX-License-Identifier: Apache-2.0
#include "cli/context.hpp"

#include "cli/json_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

namespace jobsessions::cli {
namespace {

std::string text(const boost::json::object& o, std::string_view name)
{
    const auto* v = o.if_contains(name);
    if (v == nullptr || v->is_null()) {
        return {};
    }
    if (v->is_string()) {
        return std::string(v->get_string());
    }
    return boost::json::serialize(*v);
}

std::string nested_text(const boost::json::object& o, std::string_view outer, std::string_view name)
{
    const auto* v = o.if_contains(outer);
    return v != nullptr && v->is_object() ? text(v->get_object(), name) : std::string();
}

const boost::json::value& member(const boost::json::object& o, std::string_view name)
{
    static const boost::json::value null;
    const auto* v = o.if_contains(name);
    return v == nullptr ? null : *v;
}

// The session's policy, or what its type's info object names instead (a repository, a restore).
std::string policy_of(const boost::json::object& s)
{
    for (const auto& [outer, name] :
         {std::pair{"backupJobInfo", "policyName"}, std::pair{"repositoryJobInfo", "repositoryName"},
          std::pair{"restoreJobInfo", "backupPolicyDisplayName"}}) {
        if (auto value = nested_text(s, outer, name); !value.empty()) {
            return value;
        }
    }
    return {};
}

Column plain(std::string title, const std::string& member_name, bool wide_only = false)
{
    return Column{std::move(title),
                  [member_name](const boost::json::object& o, const Style&) { return text(o, member_name); },
                  [member_name](const boost::json::object& o) { return text(o, member_name); }, false, wide_only};
}

Column time_column(std::string title, const std::string& member_name, bool wide_only = false)
{
    return Column{std::move(title),
                  [member_name](const boost::json::object& o, const Style& style) {
                      return readable_time(member(o, member_name), style.utc);
                  },
                  [member_name](const boost::json::object& o) { return text(o, member_name); }, false, wide_only};
}

} // namespace

Format GlobalOptions::format() const
{
    if (output.empty()) {
        return ::isatty(STDOUT_FILENO) == 1 ? Format::Table : Format::Tsv;
    }
    return *parse_format(output); // checked by the option's validator
}

Style GlobalOptions::style() const
{
    return Style{utc, want_color(stdout)};
}

std::vector<Column> session_columns()
{
    return {
        plain("ID", "id"),
        plain("TYPE", "type"),
        Column{"STATUS", [](const boost::json::object& o, const Style&) { return text(o, "status"); },
               [](const boost::json::object& o) { return text(o, "status"); }, true},
        Column{"POLICY", [](const boost::json::object& o, const Style&) { return policy_of(o); },
               [](const boost::json::object& o) { return policy_of(o); }},
        time_column("STARTED", "executionStartTime"),
        time_column("STOPPED", "executionStopTime", true),
        Column{
            "DURATION",
            [](const boost::json::object& o, const Style&) { return readable_duration(text(o, "executionDuration")); },
            [](const boost::json::object& o) { return text(o, "executionDuration"); }},
        plain("USN", "usn", true),
    };
}

std::vector<Column> log_columns()
{
    auto time = time_column("TIME", "logTime");
    time.width = 19; // "2026-12-04 18:08:37", local time
    return {
        std::move(time),
        Column{"STATUS", [](const boost::json::object& o, const Style&) { return text(o, "status"); },
               [](const boost::json::object& o) { return text(o, "status"); }, true, false, 7},
        plain("MESSAGE", "message"),
    };
}

std::vector<Column> policy_columns()
{
    return {
        plain("NAME", "name"),
        plain("ENABLED", "enabled"),
        plain("SCHEDULE", "schedule"),
        Column{"LAST RUN",
               [](const boost::json::object& o, const Style& style) {
                   const auto* last = o.if_contains("lastRun");
                   if (last == nullptr || !last->is_object()) {
                       return std::string();
                   }
                   return text(last->get_object(), "status") + " " +
                          readable_time(member(last->get_object(), "executionStartTime"), style.utc);
               },
               [](const boost::json::object& o) { return nested_text(o, "lastRun", "status"); }},
        time_column("NEXT RUN", "nextRunUtc"),
        plain("ID", "id"),
    };
}

void print_item(const GlobalOptions& global, std::string_view json, std::vector<Column> columns)
{
    const auto format = global.format();
    if (format == Format::Json) {
        print_json_text(json);
        return;
    }
    const auto doc = boost::json::parse(json);
    if (format == Format::Yaml) {
        write_yaml(doc, stdout);
        return;
    }
    Printer printer(format, std::move(columns), global.style());
    printer.add(doc.as_object());
    printer.finish();
}

void print_items(const GlobalOptions& global, std::string_view json, const std::string& member,
                 std::vector<Column> columns)
{
    if (global.format() == Format::Json) {
        print_json_text(json);
        return;
    }
    Printer printer(global.format(), std::move(columns), global.style());
    ArrayMemberReader reader(member, [&printer](const boost::json::object& item) { printer.add(item); });
    reader.write(json);
    reader.finish();
    printer.finish();
}

void print_json_text(std::string_view json)
{
    std::fwrite(json.data(), 1, json.size(), stdout);
    if (json.empty() || json.back() != '\n') {
        std::fputc('\n', stdout);
    }
    std::fflush(stdout);
}

} // namespace jobsessions::cli
