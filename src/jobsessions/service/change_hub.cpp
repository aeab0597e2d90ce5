// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/change_hub.hpp"

#include <vector>

namespace jobsessions::service {

void ChangeHub::Subscription::reset()
{
    if (hub_ != nullptr) {
        hub_->remove(session_id_, id_);
        hub_ = nullptr;
    }
}

ChangeHub::Subscription ChangeHub::watch_session(std::int64_t session_id, Callback callback)
{
    std::lock_guard lock(mutex_);
    const auto id = next_id_++;
    watchers_[session_id][id] = std::make_shared<Callback>(std::move(callback));
    return Subscription(this, session_id, id);
}

ChangeHub::Subscription ChangeHub::watch_all(Callback callback)
{
    return watch_session(kAllSessions, std::move(callback));
}

void ChangeHub::changed(std::int64_t session_id)
{
    // Call outside the lock: a callback may subscribe or unsubscribe.
    std::vector<std::shared_ptr<Callback>> to_call;
    {
        std::lock_guard lock(mutex_);
        for (const auto key : {session_id, kAllSessions}) {
            const auto it = watchers_.find(key);
            if (it == watchers_.end()) {
                continue;
            }
            for (const auto& [id, callback] : it->second) {
                to_call.push_back(callback);
            }
        }
    }
    for (const auto& callback : to_call) {
        (*callback)();
    }
}

void ChangeHub::changed_any()
{
    std::vector<std::shared_ptr<Callback>> to_call;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [session_id, callbacks] : watchers_) {
            for (const auto& [id, callback] : callbacks) {
                to_call.push_back(callback);
            }
        }
    }
    for (const auto& callback : to_call) {
        (*callback)();
    }
}

void ChangeHub::remove(std::int64_t session_id, std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    const auto it = watchers_.find(session_id);
    if (it == watchers_.end()) {
        return;
    }
    it->second.erase(id);
    if (it->second.empty()) {
        watchers_.erase(it);
    }
}

} // namespace jobsessions::service
