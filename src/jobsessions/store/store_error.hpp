// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace jobsessions::store {

/// The failures a backend reports, mapped once from its own codes.
enum class StoreErrc : std::uint8_t {
    NotFound,
    /// A uniqueness or check constraint refused the write.
    Conflict,
    /// The database is locked by someone else for too long.
    Busy,
    /// The database cannot be used (I/O error, full disk, closed store).
    Unavailable,
    /// Stored data this server cannot read (an unknown type name, say): a bug or a foreign write, never the
    /// client's doing.
    Corrupt,
};

/// A store failure: a code the layers above act on, and text for the server log only.
struct StoreError {
    StoreErrc code = StoreErrc::Unavailable;
    std::string message;
};

/// Thrown by `result::value()` on a StoreError; callers normally test the result instead.
class StoreException : public std::runtime_error {
public:
    explicit StoreException(const StoreError& error)
        : std::runtime_error(error.message)
        , code_(error.code)
    {
    }
    /// The store error code.
    [[nodiscard]] StoreErrc code() const noexcept { return code_; }

private:
    StoreErrc code_;
};

/// Found by boost::system::result through argument-dependent lookup.
[[noreturn]] inline void throw_exception_from_error(const StoreError& error, const boost::source_location&)
{
    throw StoreException(error);
}

/// The result of a store call.
template <class T> using Result = boost::system::result<T, StoreError>;

} // namespace jobsessions::store
