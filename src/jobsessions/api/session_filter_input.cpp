// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/session_filter_input.hpp"

#include "jobsessions/api/json_input.hpp"
#include "jobsessions/api/ranges.hpp"
#include "jobsessions/util/strings.hpp"

namespace jobsessions::api {
namespace {

void add_type(store::SessionFilter& filter, std::string_view text, const std::string& field, ApiError& errors)
{
    if (const auto type = domain::parse_session_type(util::trim(text))) {
        filter.types.push_back(*type);
    } else {
        errors.add(field, "'" + std::string(text) + "' is not a session type; use one of " +
                              domain::session_type_names() + ".");
    }
}

void add_status(store::SessionFilter& filter, std::string_view text, const std::string& field, ApiError& errors)
{
    if (const auto status = domain::parse_session_status(util::trim(text))) {
        filter.statuses.push_back(*status);
    } else {
        errors.add(field, "'" + std::string(text) + "' is not a session status; use one of " +
                              domain::session_status_names() + ".");
    }
}

std::optional<util::Micros> timestamp(const std::optional<std::string>& text, const std::string& field,
                                      ApiError& errors)
{
    if (!text) {
        return std::nullopt;
    }
    if (auto t = util::parse_timestamp(util::trim(*text))) {
        return t;
    }
    errors.add(field, "'" + *text +
                          "' is not an ISO-8601 date or date and time, such as 2021-06-03 or "
                          "2021-06-03T10:00:00Z.");
    return std::nullopt;
}

// A JSON member that may be one string, a comma-separated string, or an array of strings.
template <class Add>
void read_names(const boost::json::object& body, std::string_view name, const std::string& field, ApiError& errors,
                Add add)
{
    const auto* v = FieldReader::find(body, name);
    if (v == nullptr) {
        return;
    }
    auto add_text = [&](std::string_view text) {
        for (const auto item : util::split_list(text)) {
            add(item);
        }
    };
    if (v->is_string()) {
        add_text({v->get_string().data(), v->get_string().size()});
        return;
    }
    if (v->is_array()) {
        for (const auto& item : v->get_array()) {
            if (!item.is_string()) {
                errors.add(field, "Must be a string or an array of strings.");
                return;
            }
            add_text({item.get_string().data(), item.get_string().size()});
        }
        return;
    }
    errors.add(field, "Must be a string or an array of strings.");
}

} // namespace

std::int64_t read_integer(const Params& query, std::string_view name, std::int64_t fallback, std::int64_t min,
                          std::int64_t max, ApiError& errors)
{
    const auto text = query.first(name);
    if (!text) {
        return fallback;
    }
    const auto value = util::parse_int64(util::trim(*text));
    if (!value || *value < min || *value > max) {
        errors.add(std::string(name), "'" + *text + "' is not a whole number from " + std::to_string(min) + " to " +
                                          std::to_string(max) + ".");
        return fallback;
    }
    return *value;
}

store::SessionFilter read_filter(const Params& query, ApiError& errors)
{
    store::SessionFilter filter;
    for (const auto& t : query.list("Types")) {
        add_type(filter, t, "Types", errors);
    }
    for (const auto& s : query.list("Status")) {
        add_status(filter, s, "Status", errors);
    }
    filter.policy_id = query.first("PolicyId");
    filter.from = timestamp(query.first("FromUtc"), "FromUtc", errors);
    filter.to = timestamp(query.first("ToUtc"), "ToUtc", errors);
    filter.text = query.first("Filter");
    if (query.first("Usn")) {
        filter.usn_after = read_integer(query, "Usn", 0, 0, kMaxExactInteger, errors);
    }
    return filter;
}

store::SessionFilter read_filter(const boost::json::object& body, ApiError& errors)
{
    store::SessionFilter filter;
    FieldReader reader(errors);
    read_names(body, "types", "types", errors, [&](std::string_view t) { add_type(filter, t, "types", errors); });
    read_names(body, "status", "status", errors, [&](std::string_view s) { add_status(filter, s, "status", errors); });
    filter.policy_id = reader.string(body, "policyId", "policyId");
    filter.from = reader.timestamp(body, "fromUtc", "fromUtc");
    filter.to = reader.timestamp(body, "toUtc", "toUtc");
    filter.text = reader.string(body, "filter", "filter");
    filter.usn_after = reader.integer(body, "usn", "usn", 0, kMaxExactInteger);
    return filter;
}

} // namespace jobsessions::api
