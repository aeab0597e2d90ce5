// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/http/limits.hpp"
#include "jobsessions/log/log.hpp"
#include "jobsessions/service/login_throttle.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jobsessions::app {

/// Everything `jobsessiond serve` is configured with: flags, else JOBSESSIOND_<FLAG> environment variables, else
/// the configuration file, else the defaults below.
struct Config {
    std::string listen = "0.0.0.0:8443";
    std::string data_dir = "./data";
    bool plain_http = false;
    std::string tls_cert;
    std::string tls_key;
    std::string public_url;
    /// This server's name, which /system/about tells (empty: the host name).
    std::string node_name;
    /// A postgresql:// URI: the sessions live in that PostgreSQL database (shared with other servers); empty: in
    /// SQLite in the data directory.
    std::string database;
    /// Pooled connections to PostgreSQL for the reads and writes that do not wait on an I/O thread's event loop
    /// (0: twice the cores and two).
    std::size_t database_pool = 0;
    std::size_t threads = 0; // 0: one per core
    std::size_t blocking_threads = 32;
    std::vector<std::string> trusted_proxies;
    /// A second address serving GET /metrics without a token (empty: none; /metrics then needs a Monitor's or an
    /// Administrator's token on the main address).
    std::string metrics_listen;
    /// Per-policy metrics for at most this many policies (0: none; each policy adds series).
    std::size_t policy_metrics = 0;
    bool access_log = false;
    /// How the log's lines are written: text, or one JSON object per line.
    log::Format log_format = log::Format::Text;
    /// Start even when the data directory or a secret file can be read or written by other users (warning only).
    bool allow_unsafe_permissions = false;
    /// When the built-in retention job runs (a cron schedule); nullopt: never.
    std::optional<std::string> retention_schedule = "0 3 * * *";
    /// How old a session without a policy retention (or of a deleted policy) may get, in days.
    std::int64_t retention_days = 90;
    /// When the built-in backup job copies the store into backup_dir (a cron schedule); nullopt: never.
    std::optional<std::string> backup_schedule;
    /// Where scheduled backups go.
    std::string backup_dir;
    /// How many scheduled backups are kept (the oldest go first).
    std::size_t backup_keep = 7;
    /// Webhooks may post to loopback, private and link-local addresses.
    bool webhooks_allow_private = false;
    /// Certificate authorities webhook receivers are verified against, besides the system's.
    std::string webhooks_ca_file;
    /// The delay before a failed delivery's first retry.
    std::chrono::milliseconds webhooks_first_retry{10'000};
    /// Memory for the rendered bodies of finished sessions that lists copy instead of reading again; 0: none.
    std::size_t session_cache_mb = 64;
    http::Limits limits;
    /// How failed logins are slowed down.
    service::LoginThrottleConfig login_throttle;
};

/// The outcome of reading the command line.
struct ParsedCommandLine {
    enum class Action : std::uint8_t { Serve, Help, Version, User, Migrate, ConfigCheck, Backup, Restore };
    Action action = Action::Serve;
    Config config;
    /// The configuration file read (empty: none).
    std::string config_file;
    /// Where each option not left at its default was set: "--threads", "JOBSESSIOND_THREADS" or "FILE:LINE: threads"
    /// (the last source read; flags win over the environment, which wins over the file).
    std::map<std::string, std::string> origins;
    /// For `user`: the words after `user`, without the options this parser consumed.
    std::vector<std::string> user_args;
    /// For `user`: `--role` if given.
    std::optional<std::string> role;
    /// For `backup`: the file written (`--to`); for `restore`: the file read (`--from`).
    std::string backup_file;
};

/// The configuration file read when neither --config nor JOBSESSIOND_CONFIG names one, if it exists.
inline constexpr const char* kDefaultConfigFile = "/etc/jobsessions/jobsessiond.conf";

/// Reads argv, the environment and the configuration file (TOML: the options' names as keys). Throws
/// std::invalid_argument with a one-line message naming the bad flag, variable or file line.
ParsedCommandLine parse_command_line(int argc, const char* const* argv);

/// The effective configuration as a TOML document, each option with where its value came from (`config check`);
/// a database password is masked.
std::string describe(const ParsedCommandLine& parsed);

/// The `--help` text.
const char* usage() noexcept;

} // namespace jobsessions::app
