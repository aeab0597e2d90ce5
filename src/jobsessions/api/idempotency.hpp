// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/context.hpp"
#include "jobsessions/store/store.hpp"

#include <optional>

namespace jobsessions::api {

/// The Idempotency-Key handling of a write (contract §7): a retried request gets the first answer again instead
/// of writing twice; the same key with a different request is refused (422).
class Idempotency {
public:
    /// Reads the header. When an answer was recorded for this key, writes it into the response and `replayed()`
    /// is true: the handler must then stop. `success_status` is what the write answers when it succeeds.
    Idempotency(Context& ctx, int success_status, store::IdempotencyWrite::Renderer render);

    /// True when the answer was replayed from the record.
    [[nodiscard]] bool replayed() const noexcept { return replayed_; }

    /// What the write must record, or nullptr without a key.
    [[nodiscard]] const store::IdempotencyWrite* record() const noexcept { return write_ ? &*write_ : nullptr; }

    /// After the service reported a concurrent write with the same key: replays its answer (or answers 409 while
    /// that write is still in flight).
    void replay_after_race();

private:
    bool try_replay();

    Context& ctx_;
    std::optional<store::IdempotencyWrite> write_;
    bool replayed_ = false;
};

} // namespace jobsessions::api
