// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace jobsessions::service {

/// How a use case can fail, independent of HTTP.
enum class DomainErrc : std::uint8_t {
    NotFound,
    /// The request contradicts the current state (a final session, a taken name).
    Conflict,
    /// A field is invalid; `field` names it.
    Invalid,
    /// Credentials or token refused.
    Unauthorized,
    /// Too many failed attempts: wait before trying again.
    Throttled,
    /// The same Idempotency-Key is being written concurrently; the caller should replay the recorded answer.
    IdempotencyRace,
    /// The store cannot serve the request right now.
    Unavailable,
    /// Something is wrong inside the server (unreadable stored data): a 500, details only in the log.
    Internal,
};

/// A failed use case: a code, the field it concerns (for Invalid), and a message safe to show to the client.
struct DomainError {
    DomainErrc code = DomainErrc::Unavailable;
    std::string field;
    std::string message;
    /// What went wrong inside, for the server log only; never shown to a client.
    std::string internal = {};

    /// The message with the cause inside, for the server's log.
    [[nodiscard]] std::string for_log() const { return internal.empty() ? message : message + " (" + internal + ")"; }
};

/// Thrown by `result::value()` on a DomainError; callers normally test the result instead.
class DomainException : public std::runtime_error {
public:
    explicit DomainException(const DomainError& error)
        : std::runtime_error(error.message)
    {
    }
};

/// Found by boost::system::result through argument-dependent lookup.
[[noreturn]] inline void throw_exception_from_error(const DomainError& error, const boost::source_location&)
{
    throw DomainException(error);
}

/// The result of a use case.
template <class T> using Outcome = boost::system::result<T, DomainError>;

} // namespace jobsessions::service
