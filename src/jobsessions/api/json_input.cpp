// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/json_input.hpp"

#include "jobsessions/util/strings.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace jobsessions::api {

boost::json::object parse_json_object(std::string_view body)
{
    if (util::trim(body).empty()) {
        throw ApiError::bad_request("body", "A JSON object is required.");
    }
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 16;
    // One arena per body, freed with the parsed value: a batch of a thousand log entries is a few allocations
    // instead of several per entry.
    auto arena = boost::json::make_shared_resource<boost::json::monotonic_resource>();
    auto value = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec, arena, options);
    if (ec) {
        throw ApiError::bad_request("body", "The body is not valid JSON: " + ec.message() + ".");
    }
    if (!value.is_object()) {
        throw ApiError::bad_request("body", "The body must be a JSON object.");
    }
    return std::move(value.as_object());
}

void FieldReader::fail(std::string_view field, std::string message)
{
    std::string name = prefix_;
    name.append(field);
    errors_.add(std::move(name), std::move(message));
}

const boost::json::value* FieldReader::find(const boost::json::object& object, std::string_view name)
{
    for (const auto& member : object) {
        if (util::iequals({member.key().data(), member.key().size()}, name)) {
            return member.value().is_null() ? nullptr : &member.value();
        }
    }
    return nullptr;
}

std::optional<std::string> FieldReader::string(const boost::json::object& object, std::string_view name,
                                               std::string_view field, std::size_t max_size)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        fail(field, "Must be a string.");
        return std::nullopt;
    }
    const auto& s = v->get_string();
    if (s.size() > max_size) {
        fail(field, "Must be at most " + std::to_string(max_size) + " bytes long.");
        return std::nullopt;
    }
    return std::string(s.data(), s.size());
}

std::optional<std::int64_t> FieldReader::integer(const boost::json::object& object, std::string_view name,
                                                 std::string_view field, std::int64_t min, std::int64_t max)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::optional<std::int64_t> value;
    if (v->is_int64()) {
        value = v->get_int64();
    } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        value = static_cast<std::int64_t>(v->get_uint64());
    }
    if (!value || *value < min || *value > max) {
        fail(field, "Must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ".");
        return std::nullopt;
    }
    return value;
}

std::optional<bool> FieldReader::boolean(const boost::json::object& object, std::string_view name,
                                         std::string_view field)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_bool()) {
        fail(field, "Must be true or false.");
        return std::nullopt;
    }
    return v->get_bool();
}

std::optional<util::Micros> FieldReader::timestamp(const boost::json::object& object, std::string_view name,
                                                   std::string_view field)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_string()) {
        const auto& s = v->get_string();
        if (auto t = util::parse_timestamp({s.data(), s.size()})) {
            return t;
        }
    }
    fail(field, "Must be an ISO-8601 date and time, such as 2020-02-05T11:07:10.002679Z.");
    return std::nullopt;
}

std::optional<util::Micros> FieldReader::timespan(const boost::json::object& object, std::string_view name,
                                                  std::string_view field)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_string()) {
        const auto& s = v->get_string();
        if (auto d = util::parse_timespan({s.data(), s.size()}); d && *d >= 0) {
            return d;
        }
    }
    fail(field, "Must be a duration such as 00:02:47.7726740 or 1.02:03:04.");
    return std::nullopt;
}

std::optional<domain::SessionStatus> FieldReader::status(const boost::json::object& object, std::string_view name,
                                                         std::string_view field)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_string()) {
        const auto& s = v->get_string();
        if (auto status = domain::parse_session_status({s.data(), s.size()})) {
            return status;
        }
    }
    fail(field, "Must be one of " + domain::session_status_names() + ".");
    return std::nullopt;
}

std::optional<domain::SessionType> FieldReader::type(const boost::json::object& object, std::string_view name,
                                                     std::string_view field)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_string()) {
        const auto& s = v->get_string();
        if (auto type = domain::parse_session_type({s.data(), s.size()})) {
            return type;
        }
    }
    fail(field, "Must be one of " + domain::session_type_names() + ".");
    return std::nullopt;
}

const boost::json::object* FieldReader::object(const boost::json::object& object, std::string_view name,
                                               std::string_view field)
{
    const auto* v = find(object, name);
    if (v == nullptr) {
        return nullptr;
    }
    if (!v->is_object()) {
        fail(field, "Must be an object.");
        return nullptr;
    }
    return &v->get_object();
}

} // namespace jobsessions::api
