// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/api_error.hpp"
#include "jobsessions/api/params.hpp"
#include "jobsessions/store/store.hpp"

#include <boost/json/value.hpp>

namespace jobsessions::api {

/// Reads the list filters of contract §5 from query parameters (names without regard to case; repeated and
/// comma-separated values), recording each bad one under its parameter name in `errors`.
store::SessionFilter read_filter(const Params& query, ApiError& errors);

/// Reads the same filters from an export's JSON body (`types`, `status`, `policyId`, `fromUtc`, `toUtc`,
/// `filter`, `usn`), recording each bad member in `errors`.
store::SessionFilter read_filter(const boost::json::object& body, ApiError& errors);

/// Reads an integer parameter: absent gives `fallback`; otherwise it must lie in [min, max].
std::int64_t read_integer(const Params& query, std::string_view name, std::int64_t fallback, std::int64_t min,
                          std::int64_t max, ApiError& errors);

} // namespace jobsessions::api
