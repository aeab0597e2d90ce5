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

    /// The member's value, or nullptr when absent or null.
    static const boost::json::value* find(const boost::json::object& object, std::string_view name);

    std::optional<std::string> string(const boost::json::object& object, std::string_view name,
                                      const std::string& field, std::size_t max_size = 1024);
    std::optional<std::int64_t> integer(const boost::json::object& object, std::string_view name,
                                        const std::string& field, std::int64_t min = 0);
    std::optional<bool> boolean(const boost::json::object& object, std::string_view name, const std::string& field);
    std::optional<util::Micros> timestamp(const boost::json::object& object, std::string_view name,
                                          const std::string& field);
    std::optional<util::Micros> timespan(const boost::json::object& object, std::string_view name,
                                         const std::string& field);
    std::optional<domain::SessionStatus> status(const boost::json::object& object, std::string_view name,
                                                const std::string& field);
    std::optional<domain::SessionType> type(const boost::json::object& object, std::string_view name,
                                            const std::string& field);
    /// A nested object member; nullptr when absent, null, or not an object (then an error is recorded).
    const boost::json::object* object(const boost::json::object& object, std::string_view name,
                                      const std::string& field);

    /// Records an error for `field`.
    void fail(const std::string& field, std::string message) { errors_.add(field, std::move(message)); }

private:
    ApiError& errors_;
};

} // namespace jobsessions::api
