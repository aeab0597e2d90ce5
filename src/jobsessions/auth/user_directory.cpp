// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/auth/user_directory.hpp"

namespace jobsessions::auth {
namespace {

std::atomic<std::uint64_t> g_next_directory_id{1};

// Each thread keeps the copy it last saw; it takes the lock only when the version moved on.
struct CachedSnapshot {
    std::uint64_t directory_id = 0;
    std::uint64_t version = 0;
    std::shared_ptr<const void> keep_alive;
    const void* snapshot = nullptr;
};
thread_local CachedSnapshot t_cached;

} // namespace

UserDirectory::UserDirectory()
    : id_(g_next_directory_id.fetch_add(1))
    , snapshot_(std::make_shared<const Snapshot>())
{
}

void UserDirectory::replace(const std::vector<domain::User>& users)
{
    auto next = std::make_shared<Snapshot>();
    for (const auto& u : users) {
        next->emplace(u.id, UserEntry{u.id, u.name, u.role, u.disabled});
    }
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
}

const UserDirectory::Snapshot& UserDirectory::current() const
{
    const auto version = version_.load(std::memory_order_acquire);
    if (t_cached.directory_id != id_ || t_cached.version != version) {
        std::lock_guard lock(mutex_);
        t_cached.directory_id = id_;
        t_cached.version = version_.load(std::memory_order_relaxed);
        t_cached.keep_alive = snapshot_;
        t_cached.snapshot = snapshot_.get();
    }
    return *static_cast<const Snapshot*>(t_cached.snapshot);
}

std::optional<UserEntry> UserDirectory::find(std::int64_t id) const
{
    std::optional<UserEntry> found;
    visit(id, [&](const UserEntry& e) { found = e; });
    return found;
}

} // namespace jobsessions::auth
