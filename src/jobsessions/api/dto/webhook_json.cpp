// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/webhook_json.hpp"

#include "jobsessions/api/dto/session_json.hpp"
#include "jobsessions/util/time.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace jobsessions::api::dto {
namespace {

template <class T> boost::json::array names(const std::vector<T>& values)
{
    boost::json::array out;
    for (const auto value : values) {
        out.emplace_back(domain::to_string(value));
    }
    return out;
}

boost::json::object to_object(const domain::Webhook& w, const BaseUrl& base)
{
    boost::json::object o;
    o["id"] = w.id;
    o["url"] = w.url;
    o["description"] = w.description;
    o["events"] = names(w.events);
    o["types"] = names(w.types);
    o["statuses"] = names(w.statuses);
    boost::json::array policies;
    for (const auto& id : w.policy_ids) {
        policies.emplace_back(id);
    }
    o["policyIds"] = std::move(policies);
    o["enabled"] = w.enabled;
    if (!w.secret.empty()) {
        o["secret"] = w.secret;
    }
    o["createdAt"] = util::format_timestamp(w.created_at);
    o["usn"] = w.usn;
    const std::string self = base.str() + "/api/v1/webhooks/" + w.id;
    o["_links"] = boost::json::object{
        {"self", boost::json::object{{"href", self}}},
        {"deliveries", boost::json::object{{"href", self + "/deliveries"}}},
    };
    return o;
}

/// Reads an array of names with `parse`; an error naming `field` and the names it takes otherwise. Repeated
/// names count once.
template <class T, class Parse>
std::vector<T> read_names(FieldReader& reader, const boost::json::object& body, std::string_view name, Parse&& parse,
                          const std::string& choices)
{
    std::vector<T> values;
    const auto* member = FieldReader::find(body, name);
    if (member == nullptr) {
        return values;
    }
    bool ok = member->is_array() && member->get_array().size() <= 64;
    if (ok) {
        for (const auto& item : member->get_array()) {
            const auto value = item.is_string() ? parse(std::string_view(item.get_string())) : std::nullopt;
            if (!value) {
                ok = false;
                break;
            }
            if (std::find(values.begin(), values.end(), *value) == values.end()) {
                values.push_back(*value);
            }
        }
    }
    if (!ok) {
        reader.fail(name, "Must be an array of these names: " + choices + ".");
        values.clear();
    }
    return values;
}

} // namespace

std::string webhook_json(const domain::Webhook& webhook, const BaseUrl& base)
{
    return boost::json::serialize(to_object(webhook, base));
}

std::string webhooks_json(const std::vector<domain::Webhook>& webhooks, const BaseUrl& base)
{
    boost::json::array results;
    for (const auto& w : webhooks) {
        results.emplace_back(to_object(w, base));
    }
    boost::json::object o;
    o["totalCount"] = webhooks.size();
    o["results"] = std::move(results);
    return boost::json::serialize(o);
}

std::string deliveries_json(const store::DeliveryPage& page)
{
    boost::json::array results;
    for (std::size_t i = 0; i < page.deliveries.size(); ++i) {
        const auto& d = page.deliveries[i];
        boost::json::array attempts;
        for (const auto& a : page.attempts.at(i)) {
            attempts.emplace_back(boost::json::object{
                {"number", a.number},
                {"time", util::format_timestamp(a.time)},
                {"statusCode", a.status_code ? boost::json::value(*a.status_code) : boost::json::value(nullptr)},
                {"error", a.error.empty() ? boost::json::value(nullptr) : boost::json::value(a.error)},
                {"durationMs", a.duration_ms},
            });
        }
        boost::json::object o;
        o["id"] = std::to_string(d.id);
        o["event"] = domain::to_string(d.event);
        o["sessionId"] = std::to_string(d.session_id);
        o["createdAt"] = util::format_timestamp(d.created_at);
        o["state"] = domain::to_string(d.state);
        o["nextAttemptAt"] =
            d.next_attempt_at ? boost::json::value(util::format_timestamp(*d.next_attempt_at)) : boost::json::value();
        o["attempts"] = std::move(attempts);
        results.emplace_back(std::move(o));
    }
    boost::json::object o;
    o["totalCount"] = page.total_count;
    o["results"] = std::move(results);
    return boost::json::serialize(o);
}

domain::Webhook read_webhook(FieldReader& reader, const boost::json::object& body)
{
    domain::Webhook w;
    if (auto url = reader.string(body, "url", "url", domain::kMaxWebhookUrl)) {
        w.url = *url;
    }
    if (auto description = reader.string(body, "description", "description", domain::kMaxWebhookDescription)) {
        w.description = *description;
    }
    w.events = read_names<domain::WebhookEvent>(
        reader, body, "events", [](std::string_view n) { return domain::parse_webhook_event(n); },
        domain::webhook_event_names());
    w.types = read_names<domain::SessionType>(
        reader, body, "types", [](std::string_view n) { return domain::parse_session_type(n); },
        domain::session_type_names());
    w.statuses = read_names<domain::SessionStatus>(
        reader, body, "statuses", [](std::string_view n) { return domain::parse_session_status(n); },
        domain::session_status_names());
    if (const auto* policies = FieldReader::find(body, "policyIds")) {
        bool ok = policies->is_array();
        if (ok) {
            for (const auto& id : policies->get_array()) {
                ok = ok && id.is_string();
                if (ok && std::find(w.policy_ids.begin(), w.policy_ids.end(), id.get_string()) == w.policy_ids.end()) {
                    w.policy_ids.emplace_back(id.get_string());
                }
            }
        }
        if (!ok) {
            reader.fail("policyIds", "Must be an array of policy ids.");
        }
    }
    if (auto secret = reader.string(body, "secret", "secret", 200)) {
        w.secret = *secret;
    }
    if (auto enabled = reader.boolean(body, "enabled", "enabled")) {
        w.enabled = *enabled;
    }
    return w;
}

std::string webhook_payload(domain::WebhookEvent event, util::Micros time, const domain::JobSession& session,
                            const std::optional<BaseUrl>& base)
{
    std::string out = R"({"type":")";
    out += domain::to_string(event);
    out += R"(","timestamp":")";
    out += util::format_timestamp(time);
    out += R"(","data":)";
    if (base) {
        append_session(out, session, *base, time);
    } else {
        append_session_members(out, session, time);
        out += '}';
    }
    out += '}';
    return out;
}

} // namespace jobsessions::api::dto
