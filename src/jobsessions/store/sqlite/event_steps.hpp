// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/webhook.hpp"
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/store_error.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jobsessions::store::sqlite {

/// How the SQLite store keeps the events of one step of the webhook job: one row for the step (ids first to last),
/// its events in one value rather than a row each. A row per event, with its body, was what made creations wait
/// behind the job's writes (docs/benchmarks.md, Webhooks).
///
/// The plain form is a JSON array with an array per event (session id, event, session type, session status,
/// policy id or null, creation time, the body's length in bytes), a newline, then the bodies one after another.
/// The packed form, which the store writes, is the plain form's length (4 bytes, little-endian) followed by the
/// plain form deflated; an upgraded store keeps its older events in the plain form, as text.
std::string pack_event_step(std::span<const domain::WebhookEventRecord> events);

/// The events of a step whose first event has id `first_id`, from the packed form (`packed`) or the plain one.
Result<std::vector<domain::WebhookEventRecord>> unpack_event_step(std::string_view value, bool packed,
                                                                  std::int64_t first_id);

/// The events of the step in the current row of `row`, which selects a step's first_event_id and events, in that
/// order: the packed form when the value is a blob, the plain one when it is text.
Result<std::vector<domain::WebhookEventRecord>> read_event_step(const Statement& row);

} // namespace jobsessions::store::sqlite
