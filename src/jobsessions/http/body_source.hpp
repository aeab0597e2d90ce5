// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace jobsessions::http {

struct Response;

/// A response body produced piece by piece: large results (an export, a list with limit=-1), live streams (a
/// followed log) and answers that wait for something to happen (a long poll). The transport writes each piece
/// before asking for the next, so memory stays bounded however long the body is.
/// Thread-safety: produce() is called by one thread at a time; the waker may be called from any thread.
class BodySource {
public:
    /// What produce() reports.
    enum class Step : std::uint8_t {
        /// Call again at once.
        More,
        /// Nothing now: call again when woken, or after wait_limit().
        Wait,
        /// The body is complete.
        Done,
    };

    virtual ~BodySource() = default;
    BodySource() = default;
    BodySource(const BodySource&) = delete;
    BodySource& operator=(const BodySource&) = delete;

    /// How much a source that has plenty to say appends per piece: large enough that the per-piece costs (a
    /// chunk header, a write) vanish, small enough to keep memory flat.
    static constexpr std::size_t kPieceBytes = std::size_t{64} * 1024;

    /// Appends the next part of the body (ideally about kPieceBytes at most) to `out`.
    virtual Step produce(std::string& out) = 0;

    /// True when produce() may block (it reads the store), so it runs on the blocking pool.
    [[nodiscard]] virtual bool blocking() const { return true; }

    /// How long a Wait lasts at most before produce() is called again (heartbeats, poll deadlines).
    [[nodiscard]] virtual std::chrono::milliseconds wait_limit() const { return std::chrono::seconds(15); }

    /// Called once before the first produce(): `wake` ends a Wait early; the source calls it (from any thread)
    /// when it may have more to say.
    virtual void set_waker(const std::function<void()>& /*wake*/) {}

    /// Called when the server shuts down while the body is still going; the next produce() should finish it.
    virtual void stop() {}

    /// For an answer sent whole once complete (Response::stream_now false): called after the last produce() and
    /// before the head is written, so that the source may decide the status and header fields then, once it knows
    /// them (a login whose outcome the hashing pool decides). The body gathered so far is in `response.body`.
    virtual void complete(Response& /*response*/) {}
};

} // namespace jobsessions::http
