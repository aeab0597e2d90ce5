// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/store/store_error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace jobsessions::store {

/// The answer a write gave, kept so that a retry with the same Idempotency-Key gets it again.
struct IdempotencyRecord {
    std::int64_t user_id = 0;
    std::string key;
    /// SHA-256 of method, target and body: the same key with another request is refused.
    std::string request_hash;
    int status_code = 0;
    std::string location;
    std::string body;
    util::Micros created_at = 0;
};

/// What a write produced, for rendering its recorded answer.
struct WriteOutcome {
    const domain::JobSession& session;
    /// For log appends: the sequence numbers given to the entries.
    std::int64_t first_sequence = 0;
    std::int64_t last_sequence = 0;
};

/// What a write records for its Idempotency-Key, in the same transaction as the write itself.
struct IdempotencyWrite {
    std::int64_t user_id = 0;
    std::string key;
    std::string request_hash;
    int status_code = 0;
    /// Renders the answer body and Location from what the write produced (called inside the transaction).
    using Renderer = std::function<void(const WriteOutcome&, IdempotencyRecord&)>;
    Renderer render;
};

/// The answers recorded for Idempotency-Keys (written by the writes they answer, in the same transaction).
class IdempotencyStore {
public:
    virtual ~IdempotencyStore() = default;
    IdempotencyStore(const IdempotencyStore&) = delete;
    IdempotencyStore& operator=(const IdempotencyStore&) = delete;

    /// The recorded answer for a user's Idempotency-Key, if any.
    virtual Result<std::optional<IdempotencyRecord>> find_idempotency(std::int64_t user_id, const std::string& key) = 0;

protected:
    IdempotencyStore() = default;
};

} // namespace jobsessions::store
