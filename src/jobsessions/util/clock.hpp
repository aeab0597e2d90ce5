// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/util/time.hpp"

namespace jobsessions::util {

/// Where the current time comes from; tests inject their own. Thread-safe.
class Clock {
public:
    virtual ~Clock() = default;
    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    /// Now, in microseconds since the Unix epoch.
    [[nodiscard]] virtual Micros now() const noexcept = 0;
};

/// The system's real-time clock.
class SystemClock final : public Clock {
public:
    [[nodiscard]] Micros now() const noexcept override { return now_micros(); }
};

} // namespace jobsessions::util
