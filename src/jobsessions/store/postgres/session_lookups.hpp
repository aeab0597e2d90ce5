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

/// Reads the sessions' version (schema.hpp) the same way, in the next statement the lookups send: every statement
/// they send reads it besides the sessions asked for, so that a burst of pages to validate costs one round trip.
void read_sessions_version(boost::asio::io_context& io, std::uint64_t store_key, const std::string& conninfo,
                           VersionReply reply);

/// A page of a session's log to read.
struct LogAsked {
    std::int64_t session_id = 0;
    std::int64_t offset = 0;
    /// -1: every entry from the offset on.
    std::int64_t limit = -1;
};

/// Reads a page of a session's log, with the session's creator, the same way: the pages asked for while a statement
/// is out go together in one statement of their own (a lateral join over the sessions asked for), sent when no
/// lookup of sessions is waiting before them.
void read_log(boost::asio::io_context& io, std::uint64_t store_key, const std::string& conninfo, LogAsked asked,
              LogReply reply);

} // namespace jobsessions::store::postgres
