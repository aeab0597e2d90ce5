// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace jobsessions::api {

/// The ranges of the API's numbers that are not rules of a domain object, checked where a request is read (a 400
/// names the member). Policies' numbers are ranged by domain::Policy's own limits.

/// The largest whole number every JSON reader takes exactly (2^53 - 1, JavaScript's MAX_SAFE_INTEGER): the most
/// an offset, a usn or a sequence number may be. Sums of an offset and a page size stay far from overflowing.
inline constexpr std::int64_t kMaxExactInteger = 9'007'199'254'740'991;

/// The largest count in an info object (`protectedInstancesCount`, `deletedRestorePointsCount`): a 32-bit
/// integer, as the compatible API has them.
inline constexpr std::int64_t kMaxInfoCount = 2'147'483'647;

} // namespace jobsessions::api
