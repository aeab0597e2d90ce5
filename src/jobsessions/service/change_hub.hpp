// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace jobsessions::service {

/// Tells waiting readers (log followers, long polls) that a session changed, right after the change is durable.
/// It carries no data — readers look in the store — so a slow or vanished reader costs nothing here and a
/// writer never waits for one. Thread-safe.
class ChangeHub {
public:
    using Callback = std::function<void()>;

    /// Keeps a callback registered for as long as it lives.
    class Subscription {
    public:
        Subscription() = default;
        Subscription(ChangeHub* hub, std::int64_t session_id, std::uint64_t id)
            : hub_(hub)
            , session_id_(session_id)
            , id_(id)
        {
        }
        ~Subscription() { reset(); }
        Subscription(Subscription&& other) noexcept
            : hub_(std::exchange(other.hub_, nullptr))
            , session_id_(other.session_id_)
            , id_(other.id_)
        {
        }
        Subscription& operator=(Subscription&& other) noexcept
        {
            if (this != &other) {
                reset();
                hub_ = std::exchange(other.hub_, nullptr);
                session_id_ = other.session_id_;
                id_ = other.id_;
            }
            return *this;
        }
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;

        /// Unregisters now.
        void reset();

    private:
        ChangeHub* hub_ = nullptr;
        std::int64_t session_id_ = 0;
        std::uint64_t id_ = 0;
    };

    /// Calls `callback` after every change to one session (its status, its log).
    Subscription watch_session(std::int64_t session_id, Callback callback);
    /// Calls `callback` after every change to any session.
    Subscription watch_all(Callback callback);
    /// Reports a durable change to a session.
    void changed(std::int64_t session_id);
    /// Reports that any session may have changed (many at once, or changes not told one by one): every watcher
    /// looks again.
    void changed_any();

private:
    static constexpr std::int64_t kAllSessions = -1;
    void remove(std::int64_t session_id, std::uint64_t id);

    std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    std::map<std::int64_t, std::map<std::uint64_t, std::shared_ptr<Callback>>> watchers_;
};

} // namespace jobsessions::service
