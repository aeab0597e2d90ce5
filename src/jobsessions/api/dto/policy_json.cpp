// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/policy_json.hpp"

#include "jobsessions/util/time.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace jobsessions::api::dto {
namespace {

std::string href(const BaseUrl& base, std::string_view path)
{
    std::string out;
    base.append_to(out);
    out.append(path);
    return out;
}

boost::json::object to_object(const domain::Policy& p, const BaseUrl& base)
{
    boost::json::object o;
    o["id"] = p.id;
    o["name"] = p.name;
    o["description"] = p.description;
    o["sessionType"] = domain::to_string(p.session_type);
    boost::json::array command;
    for (const auto& arg : p.command) {
        command.emplace_back(arg);
    }
    o["command"] = std::move(command);
    o["workingDirectory"] = p.working_directory;
    boost::json::object environment;
    for (const auto& [name, value] : p.environment) {
        environment[name] = value;
    }
    o["environment"] = std::move(environment);
    o["schedule"] = p.schedule;
    o["enabled"] = p.enabled;
    o["timeoutSeconds"] = p.timeout_seconds ? boost::json::value(*p.timeout_seconds) : boost::json::value(nullptr);
    o["stopGraceSeconds"] = p.stop_grace_seconds;
    boost::json::array codes;
    for (const auto code : p.warning_exit_codes) {
        codes.emplace_back(code);
    }
    o["warningExitCodes"] = std::move(codes);
    o["retentionDays"] = p.retention_days ? boost::json::value(*p.retention_days) : boost::json::value(nullptr);
    o["maxConcurrentRuns"] = p.max_concurrent_runs;
    o["catchUp"] = p.catch_up;
    o["nextRunUtc"] =
        p.next_run ? boost::json::value(util::format_timestamp(*p.next_run)) : boost::json::value(nullptr);
    if (p.last_run) {
        const auto& run = *p.last_run;
        o["lastRun"] = boost::json::object{
            {"sessionId", std::to_string(run.session_id)},
            {"status", domain::to_string(run.status)},
            {"executionStartTime", util::format_timestamp(run.start_time)},
            {"executionStopTime",
             run.stop_time ? boost::json::value(util::format_timestamp(*run.stop_time)) : boost::json::value(nullptr)},
        };
    } else {
        o["lastRun"] = nullptr;
    }
    o["usn"] = p.usn;
    const std::string self = "/api/v1/policies/" + p.id;
    o["_links"] = boost::json::object{
        {"self", boost::json::object{{"href", href(base, self)}}},
        {"start", boost::json::object{{"href", href(base, self + "/start")}}},
        {"sessions", boost::json::object{{"href", href(base, "/api/v1/jobSessions?PolicyId=" + p.id)}}},
    };
    if (p.last_run) {
        o["_links"].as_object()["lastRun"] =
            boost::json::object{{"href", href(base, "/api/v1/jobSessions/" + std::to_string(p.last_run->session_id))}};
    }
    return o;
}

} // namespace

std::string policy_json(const domain::Policy& policy, const BaseUrl& base)
{
    return boost::json::serialize(to_object(policy, base));
}

std::string policies_json(const std::vector<domain::Policy>& policies, const BaseUrl& base)
{
    boost::json::array results;
    for (const auto& p : policies) {
        results.emplace_back(to_object(p, base));
    }
    boost::json::object o;
    o["totalCount"] = policies.size();
    o["results"] = std::move(results);
    return boost::json::serialize(o);
}

domain::Policy read_policy(FieldReader& reader, const boost::json::object& body)
{
    domain::Policy p;
    if (auto name = reader.string(body, "name", "name", 200)) {
        p.name = *name;
    }
    if (auto description = reader.string(body, "description", "description", 4096)) {
        p.description = *description;
    }
    if (auto type = reader.type(body, "sessionType", "sessionType")) {
        p.session_type = *type;
    }
    if (const auto* command = FieldReader::find(body, "command")) {
        bool ok = command->is_array() && command->get_array().size() <= 1024;
        if (ok) {
            for (const auto& arg : command->get_array()) {
                ok = ok && arg.is_string() && arg.get_string().size() <= 65536;
                if (ok) {
                    p.command.emplace_back(arg.get_string());
                }
            }
        }
        if (!ok) {
            reader.fail("command", "Must be an array of strings: the program and its arguments.");
        }
    }
    if (auto directory = reader.string(body, "workingDirectory", "workingDirectory", 4096)) {
        p.working_directory = *directory;
    }
    if (const auto* environment = FieldReader::find(body, "environment")) {
        bool ok = environment->is_object() && environment->get_object().size() <= 1024;
        if (ok) {
            for (const auto& member : environment->get_object()) {
                ok = ok && member.value().is_string();
                if (ok) {
                    p.environment.emplace_back(std::string(member.key()), std::string(member.value().get_string()));
                }
            }
        }
        if (!ok) {
            reader.fail("environment", "Must be an object of strings, such as {\"PATH\": \"/usr/bin:/bin\"}.");
        }
    }
    if (auto schedule = reader.string(body, "schedule", "schedule", 256)) {
        p.schedule = *schedule;
    }
    if (auto enabled = reader.boolean(body, "enabled", "enabled")) {
        p.enabled = *enabled;
    }
    p.timeout_seconds = reader.integer(body, "timeoutSeconds", "timeoutSeconds", 1, domain::kMaxTimeoutSeconds);
    if (auto grace = reader.integer(body, "stopGraceSeconds", "stopGraceSeconds", 0, domain::kMaxStopGraceSeconds)) {
        p.stop_grace_seconds = *grace;
    }
    if (const auto* codes = FieldReader::find(body, "warningExitCodes")) {
        bool ok = codes->is_array() && codes->get_array().size() <= 255;
        if (ok) {
            for (const auto& code : codes->get_array()) {
                ok = ok && code.is_int64() && code.get_int64() >= 1 && code.get_int64() <= 255;
                if (ok) {
                    p.warning_exit_codes.push_back(static_cast<int>(code.get_int64()));
                }
            }
        }
        if (!ok) {
            reader.fail("warningExitCodes", "Must be an array of exit codes from 1 to 255.");
        }
    }
    p.retention_days = reader.integer(body, "retentionDays", "retentionDays", 1, domain::kMaxRetentionDays);
    if (auto runs = reader.integer(body, "maxConcurrentRuns", "maxConcurrentRuns", 1, domain::kMaxConcurrentRuns)) {
        p.max_concurrent_runs = *runs;
    }
    if (auto catch_up = reader.boolean(body, "catchUp", "catchUp")) {
        p.catch_up = *catch_up;
    }
    return p;
}

} // namespace jobsessions::api::dto
