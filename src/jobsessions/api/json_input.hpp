// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/api_error.hpp"
#include "jobsessions/domain/session.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jobsessions::api {

/// Parses a request body that must be a JSON object; throws a 400 ApiError naming `body` otherwise.
boost::json::object parse_json_object(std::string_view body);

/// Reads typed members of JSON objects, collecting one message per bad member in `errors` (fields named as in the
/// contract, nested ones with dots: `backupJobInfo.policyId`). Member names match without regard to case and a
/// JSON null counts as absent, as ASP.NET Core's defaults have it.
class FieldReader {
public:
    explicit FieldReader(ApiError& errors)
        : errors_(errors)
    {
    }

    /// A reader whose field names start with `prefix` (such as `log[3].`); the name is put together only for an
    /// error, so reading a thousand good entries builds no names.
    FieldReader under(std::string_view prefix) const
    {
        std::string joined = prefix_;
        joined.append(prefix);
        return FieldReader(errors_, std::move(joined));
    }

    /// The member's value, or nullptr when absent or null.
    static const boost::json::value* find(const boost::json::object& object, std::string_view name);

    std::optional<std::string> string(const boost::json::object& object, std::string_view name, std::string_view field,
                                      std::size_t max_size = 1024);
    /// A whole number from `min` to `max`; anything else (a fraction, a string, out of range) is an error.
    std::optional<std::int64_t> integer(const boost::json::object& object, std::string_view name,
                                        std::string_view field, std::int64_t min, std::int64_t max);
    std::optional<bool> boolean(const boost::json::object& object, std::string_view name, std::string_view field);
    std::optional<util::Micros> timestamp(const boost::json::object& object, std::string_view name,
                                          std::string_view field);
    std::optional<util::Micros> timespan(const boost::json::object& object, std::string_view name,
                                         std::string_view field);
    std::optional<domain::SessionStatus> status(const boost::json::object& object, std::string_view name,
                                                std::string_view field);
    std::optional<domain::SessionType> type(const boost::json::object& object, std::string_view name,
                                            std::string_view field);
    /// A nested object member; nullptr when absent, null, or not an object (then an error is recorded).
    const boost::json::object* object(const boost::json::object& object, std::string_view name, std::string_view field);

    /// Records an error for `field`.
    void fail(std::string_view field, std::string message);

private:
    FieldReader(ApiError& errors, std::string prefix)
        : errors_(errors)
        , prefix_(std::move(prefix))
    {
    }

    ApiError& errors_;
    std::string prefix_;
};

} // namespace jobsessions::api
