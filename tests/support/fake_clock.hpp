// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/util/clock.hpp"

#include <atomic>

namespace jobsessions::test {

/// A clock that moves only when told to.
class FakeClock final : public util::Clock {
public:
    explicit FakeClock(util::Micros start)
        : now_(start)
    {
    }
    [[nodiscard]] util::Micros now() const noexcept override { return now_.load(); }
    /// Moves the clock forward by `seconds`.
    void advance_seconds(std::int64_t seconds) { now_ += seconds * util::kMicrosPerSecond; }

private:
    std::atomic<util::Micros> now_;
};

} // namespace jobsessions::test
