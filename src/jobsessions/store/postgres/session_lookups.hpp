// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/store/session_store.hpp"

#include <cstdint>
#include <string>

namespace jobsessions::store::postgres {

/// Looks session `id` up from an I/O thread without blocking it, and gives the result to `reply` on that thread.
///
/// The event loop `io` keeps one connection of its own per store (`store_key`), in libpq's non-blocking mode, and
/// waits for its socket like for any other. The ids asked for while a statement is out go together in the next one
/// (`WHERE id = ANY($1)`), sent as soon as its answer has come: one round trip serves every lookup that arrived
/// meanwhile, and the thread serves its other connections while it waits. A connection that broke is opened again
/// and the lookups it carried are asked once more (they are reads). When the database cannot be reached, every
/// lookup waiting fails as Unavailable, and so does each one made in the next second, at once, before the next
/// attempt to connect.
///
/// Must be called on the one thread that runs `io`; the connection closes when `io` is destroyed.
void look_up_session(boost::asio::io_context& io, std::uint64_t store_key, const std::string& conninfo, std::int64_t id,
                     SessionReply reply);

} // namespace jobsessions::store::postgres
