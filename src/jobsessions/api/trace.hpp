// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string_view>

namespace jobsessions::api {

/// A W3C trace context id as the contract prints it: `00-<32 hex trace id>-<16 hex span id>-00`.
class TraceId {
public:
    /// Continues the trace of a valid incoming `traceparent` header with a new span, or starts a new trace.
    static TraceId make(std::string_view traceparent);

    /// The 55-character text.
    [[nodiscard]] std::string_view text() const noexcept { return {text_.data(), text_.size()}; }

private:
    std::array<char, 55> text_{};
};

} // namespace jobsessions::api
