// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/systemd.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

namespace jobsessions::app {
namespace {

std::string take_env(const char* name)
{
    const char* value = std::getenv(name);
    std::string taken = value != nullptr ? value : "";
    ::unsetenv(name);
    return taken;
}

template <class Number> std::optional<Number> number_of(std::string_view text)
{
    Number value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

SystemdNotifier SystemdNotifier::from_environment()
{
    SystemdNotifier notifier;
    const auto address = take_env("NOTIFY_SOCKET");
    const auto watchdog_usec = take_env("WATCHDOG_USEC");
    const auto watchdog_pid = take_env("WATCHDOG_PID");
    // An abstract socket is written with a leading '@'; its real name starts with a NUL byte.
    if (address.empty() || (address[0] != '/' && address[0] != '@') ||
        address.size() >= sizeof(sockaddr_un::sun_path)) {
        return notifier;
    }
    notifier.socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (notifier.socket_ < 0) {
        log::warning(std::string("cannot make a socket to notify systemd: ") + std::strerror(errno));
        return notifier;
    }
    notifier.address_ = address;
    if (notifier.address_[0] == '@') {
        notifier.address_[0] = '\0';
    }
    // The watchdog is this process's when no PID is named or this one is.
    const auto usec = number_of<std::int64_t>(watchdog_usec);
    const auto pid = number_of<pid_t>(watchdog_pid);
    if (usec && *usec > 0 && (watchdog_pid.empty() || (pid && *pid == ::getpid()))) {
        notifier.watchdog_interval_ = std::chrono::microseconds(*usec);
    }
    return notifier;
}

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept
    : socket_(other.socket_)
    , address_(std::move(other.address_))
    , watchdog_interval_(other.watchdog_interval_)
{
    other.socket_ = -1;
}

SystemdNotifier::~SystemdNotifier()
{
    if (socket_ >= 0) {
        ::close(socket_);
    }
}

void SystemdNotifier::notify(std::string_view state) const noexcept
{
    if (socket_ < 0) {
        return;
    }
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::memcpy(to.sun_path, address_.data(), address_.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes a generic address
    if (::sendto(socket_, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to), length) <
            0 &&
        !failure_logged_) {
        failure_logged_ = true;
        log::warning(std::string("cannot notify systemd: ") + std::strerror(errno));
    }
}

WatchdogKeeper::WatchdogKeeper(const SystemdNotifier& notifier, std::function<bool(std::chrono::microseconds)> alive)
{
    const auto interval = notifier.watchdog_interval();
    if (!interval) {
        return;
    }
    thread_ = std::thread([this, &notifier, alive = std::move(alive), interval = *interval] {
        util::name_this_thread("sd-watchdog");
        std::unique_lock lock(mutex_);
        bool was_alive = true;
        while (!wake_.wait_for(lock, interval / 2, [this] { return stop_; })) {
            const bool is_alive = alive(interval);
            if (is_alive) {
                notifier.notify("WATCHDOG=1");
            } else if (was_alive) {
                log::error("the server's event loops stopped turning; systemd's watchdog is no longer kept alive");
            }
            was_alive = is_alive;
        }
    });
}

WatchdogKeeper::~WatchdogKeeper()
{
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

} // namespace jobsessions::app
