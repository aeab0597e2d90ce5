// SPDX-License-Identifier: Apache-2.0
// How servers sharing the database coordinate: LISTEN/NOTIFY for changes, leases timed by the database's clock.
#include "jobsessions/store/postgres/pg_store.hpp"
#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/util/strings.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <sys/eventfd.h>

namespace jobsessions::store::postgres {
namespace {

constexpr const char* kListen = "LISTEN jobsessions_changes";
// Taken when free or run out, renewed by its holder; the database's clock decides (clock_timestamp(), not the
// transaction's start).
constexpr const char* kHoldLease =
    "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond')"
    " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at"
    " WHERE leases.holder = EXCLUDED.holder OR leases.expires_at <= clock_timestamp() RETURNING holder";
constexpr const char* kReleaseLease = "DELETE FROM leases WHERE name = $1 AND holder = $2";
constexpr const char* kLiveLeases = "SELECT name FROM leases WHERE expires_at > clock_timestamp() ORDER BY name";

/// Listens on a connection of its own; opens it again after it broke (and then says that announcements may have
/// been lost).
class PgChangeListener final : public ChangeListener {
public:
    explicit PgChangeListener(std::string conninfo, int interrupt_fd)
        : conninfo_(std::move(conninfo))
        , interrupt_fd_(interrupt_fd)
    {
    }
    ~PgChangeListener() override { ::close(interrupt_fd_); }
    PgChangeListener(const PgChangeListener&) = delete;
    PgChangeListener& operator=(const PgChangeListener&) = delete;

    Result<Announced> wait(std::chrono::milliseconds timeout) override
    {
        if (!connection_) {
            auto opened = Connection::open(conninfo_);
            if (!opened) {
                return opened.error();
            }
            if (auto listening = (*opened)->exec(kListen); !listening) {
                return listening.error();
            }
            connection_ = std::move(*opened);
            Announced everything;
            everything.all_sessions = true;
            everything.policies = true;
            return everything;
        }
        auto payloads = connection_->wait_for_notifications(interrupt_fd_, timeout);
        if (!payloads) {
            connection_.reset();
            return payloads.error();
        }
        std::uint64_t interrupts = 0;
        if (::read(interrupt_fd_, &interrupts, sizeof interrupts) < 0) {
            interrupts = 0; // EAGAIN: not interrupted, nothing to clear
        }
        Announced announced;
        for (const auto& payload : *payloads) {
            // A transaction's announcements, joined by commas.
            for (const auto item : util::split_list(payload)) {
                if (item == kAnnouncePolicies) {
                    announced.policies = true;
                } else if (item == kAnnounceAllSessions) {
                    announced.all_sessions = true;
                } else if (item == kAnnounceSchema) {
                    announced.schema = true;
                } else if (auto id = util::parse_int64(item)) {
                    announced.sessions.push_back(*id);
                }
            }
        }
        return announced;
    }

    void interrupt() noexcept override
    {
        const std::uint64_t one = 1;
        if (::write(interrupt_fd_, &one, sizeof one) < 0) {
            return; // only when the counter is full: a wake is pending already
        }
    }

private:
    const std::string conninfo_;
    const int interrupt_fd_;
    std::unique_ptr<Connection> connection_;
};

} // namespace

Result<std::unique_ptr<ChangeListener>> PgStore::listen_for_changes()
{
    const int interrupt_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (interrupt_fd < 0) {
        return StoreError{StoreErrc::Unavailable, std::string("cannot make an eventfd: ") + std::strerror(errno)};
    }
    return std::unique_ptr<ChangeListener>(std::make_unique<PgChangeListener>(conninfo_, interrupt_fd));
}

Result<bool> PgStore::hold_lease(const std::string& name, const std::string& holder, util::Micros duration)
{
    auto rows = prepared(kHoldLease, {param(name), param(holder), param(duration)});
    if (!rows) {
        return rows.error();
    }
    return rows->count() == 1;
}

Result<void> PgStore::release_lease(const std::string& name, const std::string& holder)
{
    if (auto rows = prepared(kReleaseLease, {param(name), param(holder)}); !rows) {
        return rows.error();
    }
    return {};
}

Result<std::vector<std::string>> PgStore::live_leases()
{
    auto rows = prepared(kLiveLeases);
    if (!rows) {
        return rows.error();
    }
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(rows->count()));
    for (int r = 0; r < rows->count(); ++r) {
        names.emplace_back(rows->text(r, 0));
    }
    return names;
}

Result<std::optional<std::int64_t>> PgStore::newer_schema()
{
    auto rows = prepared(kSelectSchemaVersion);
    if (!rows) {
        return rows.error();
    }
    const auto version = rows->int64(0, 0);
    return version > kSchemaVersion ? std::optional(version) : std::nullopt;
}

} // namespace jobsessions::store::postgres
