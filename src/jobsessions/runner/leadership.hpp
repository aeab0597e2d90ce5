// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace jobsessions::runner {

/// Whether this server runs the server's own scheduled jobs now (policy schedules, retention): of several servers
/// sharing a database, one at a time does.
class Leadership {
public:
    virtual ~Leadership() = default;
    Leadership() = default;
    Leadership(const Leadership&) = delete;
    Leadership& operator=(const Leadership&) = delete;
    [[nodiscard]] virtual bool leads() const noexcept = 0;
};

} // namespace jobsessions::runner
