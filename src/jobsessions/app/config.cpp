// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/config.hpp"

#include "jobsessions/domain/cron.hpp"
#include "jobsessions/util/strings.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <variant>

namespace jobsessions::app {
namespace {

std::optional<std::string> env(const char* name)
{
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

bool truthy(std::string_view value)
{
    return util::iequals(value, "1") || util::iequals(value, "true") || util::iequals(value, "yes") ||
           util::iequals(value, "on");
}

std::int64_t whole_number(std::string_view flag, const std::string& value, std::int64_t min, std::int64_t max)
{
    const auto n = util::parse_int64(value);
    if (!n || *n < min || *n > max) {
        throw std::invalid_argument("--" + std::string(flag) + " needs a whole number from " + std::to_string(min) +
                                    " to " + std::to_string(max) + ", not '" + value + "'");
    }
    return *n;
}

std::size_t positive_count(std::string_view flag, const std::string& value)
{
    const auto n = util::parse_int64(value);
    if (!n || *n < 1 || *n > 4096) {
        throw std::invalid_argument("--" + std::string(flag) + " needs a whole number from 1 to 4096, not '" + value +
                                    "'");
    }
    return static_cast<std::size_t>(*n);
}

// Whether a postgresql:// URI carries a password (user:password@ or a password= parameter).
bool database_has_password(const std::string& uri)
{
    const auto parsed = boost::urls::parse_uri(uri);
    if (!parsed) {
        return uri.find("password") != std::string::npos; // not a URI: refused anyway, without echoing a secret
    }
    if (parsed->has_password()) {
        return true;
    }
    for (const auto& p : parsed->params()) {
        if (util::iequals(p.key, "password")) {
            return true;
        }
    }
    return false;
}

// A database URI as an error may show it: without anything after the scheme that could be a secret.
std::string redacted_database(const std::string& value)
{
    const auto scheme = value.find("://");
    return scheme == std::string::npos ? std::string("...") : value.substr(0, scheme + 3) + "...";
}

// Applies one setting by its flag name (one of kValueFlags); shared by flags and environment variables.
void apply(Config& config, std::string_view name, const std::string& value)
{
    if (name == "listen") {
        config.listen = value;
    } else if (name == "data-dir") {
        config.data_dir = value;
    } else if (name == "tls-cert") {
        config.tls_cert = value;
    } else if (name == "tls-key") {
        config.tls_key = value;
    } else if (name == "public-url") {
        std::string url = value;
        while (!url.empty() && url.back() == '/') {
            url.pop_back();
        }
        if (!url.starts_with("http://") && !url.starts_with("https://")) {
            throw std::invalid_argument("--public-url must start with http:// or https://, not '" + value + "'");
        }
        config.public_url = url;
    } else if (name == "database") {
        if (!value.starts_with("postgresql://") && !value.starts_with("postgres://")) {
            throw std::invalid_argument("--database needs a postgresql:// URI, not '" + redacted_database(value) + "'");
        }
        config.database = value;
    } else if (name == "node-name") {
        if (value.empty() || value.size() > 255 ||
            value.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
                std::string::npos) {
            throw std::invalid_argument("--node-name needs 1 to 255 letters, digits, '.', '-' or '_', not '" + value +
                                        "'");
        }
        config.node_name = value;
    } else if (name == "threads") {
        config.threads = positive_count(name, value);
    } else if (name == "blocking-threads") {
        config.blocking_threads = positive_count(name, value);
    } else if (name == "retention-schedule") {
        if (util::iequals(value, "off")) {
            config.retention_schedule.reset();
        } else {
            auto parsed = domain::CronSchedule::parse(value);
            if (const auto* error = std::get_if<std::string>(&parsed)) {
                throw std::invalid_argument("--retention-schedule: " + *error);
            }
            config.retention_schedule = value;
        }
    } else if (name == "retention-days") {
        const auto days = util::parse_int64(value);
        if (!days || *days < 1 || *days > 36500) {
            throw std::invalid_argument("--retention-days needs a whole number from 1 to 36500, not '" + value + "'");
        }
        config.retention_days = *days;
    } else if (name == "session-cache-mb") {
        const auto megabytes = util::parse_int64(value);
        if (!megabytes || *megabytes < 0 || *megabytes > 1'048'576) {
            throw std::invalid_argument("--session-cache-mb needs a whole number from 0 to 1048576, not '" + value +
                                        "'");
        }
        config.session_cache_mb = static_cast<std::size_t>(*megabytes);
    } else if (name == "request-timeout") {
        config.limits.request_timeout = std::chrono::seconds(whole_number(name, value, 1, 3600));
    } else if (name == "idle-timeout") {
        config.limits.idle_timeout = std::chrono::seconds(whole_number(name, value, 1, 3600));
    } else if (name == "max-connections") {
        config.limits.max_connections = static_cast<std::size_t>(whole_number(name, value, 1, 1'000'000));
    } else if (name == "login-failures-per-user-address") {
        config.login_throttle.free_per_user_and_address = whole_number(name, value, 0, 1000);
    } else if (name == "login-failures-per-address") {
        config.login_throttle.free_per_address = whole_number(name, value, 0, 100'000);
    } else if (name == "login-failures-per-user") {
        config.login_throttle.free_per_account = whole_number(name, value, 0, 100'000);
    } else if (name == "login-max-delay") {
        config.login_throttle.max_delay = std::chrono::seconds(whole_number(name, value, 1, 86'400));
    } else if (name == "login-failure-window") {
        config.login_throttle.forget_after = std::chrono::seconds(whole_number(name, value, 60, 86'400));
    } else if (name == "trusted-proxy") {
        for (const auto item : util::split_list(value)) {
            config.trusted_proxies.emplace_back(item);
        }
    }
}

constexpr std::string_view kValueFlags[] = {"listen",
                                            "data-dir",
                                            "tls-cert",
                                            "tls-key",
                                            "public-url",
                                            "node-name",
                                            "database",
                                            "threads",
                                            "blocking-threads",
                                            "trusted-proxy",
                                            "retention-schedule",
                                            "retention-days",
                                            "session-cache-mb",
                                            "request-timeout",
                                            "idle-timeout",
                                            "max-connections",
                                            "login-failures-per-user-address",
                                            "login-failures-per-address",
                                            "login-failures-per-user",
                                            "login-max-delay",
                                            "login-failure-window"};

} // namespace

const char* usage() noexcept
{
    return R"(Usage: jobsessiond [serve] [options]
       jobsessiond user add|passwd|list|enable|disable|remove [NAME] [--role ROLE] --data-dir DIR
       jobsessiond migrate --from DATA_DIR --to postgresql://HOST/DB

Serve the job-sessions API (HTTPS by default).

Options (each also settable as JOBSESSIOND_<OPTION>, e.g. JOBSESSIOND_DATA_DIR):
  --listen HOST:PORT       address to listen on (default 0.0.0.0:8443; port 0 picks a free port)
  --data-dir DIR           where the database and the generated certificate live (default ./data)
  --http                   serve plain HTTP instead of HTTPS (behind a TLS-terminating proxy, tests)
  --tls-cert FILE          PEM certificate chain (default: a self-signed one made in DIR/tls on first start)
  --tls-key FILE           PEM private key for --tls-cert
  --public-url URL         scheme and host for links (default: taken from each request's Host)
  --node-name NAME         this server's name in /api/v1/system/about (default: the host name)
  --database URI           keep the sessions in PostgreSQL (postgresql://HOST/DB), shared by every server
                           given the same URI (default: SQLite in the data directory); a password goes in
                           JOBSESSIOND_DATABASE or ~/.pgpass, never on the command line
  --trusted-proxy ADDR     believe X-Forwarded-Proto/-Host from these peer addresses (comma-separated)
  --threads N              I/O threads (default: one per core)
  --blocking-threads N     threads for database writes and password hashing (default 32)
  --access-log             log every request, not only failures
  --allow-unsafe-permissions  start even when other users may read or write the data directory, the
                           database or the TLS key (only a warning then; the default refuses to start)
  --retention-schedule CRON  when the retention job deletes old sessions (default "0 3 * * *", UTC;
                           "CRON_TZ=Europe/Berlin 0 3 * * *" for another zone; "off": never)
  --retention-days N       age in days at which sessions without a policy retention are deleted (default 90)
  --session-cache-mb N     memory for rendered finished sessions that lists reuse (default 64; 0: none)
  --request-timeout S      seconds a request may take to arrive whole, from its first byte (default 30)
  --idle-timeout S         seconds an idle keep-alive connection is kept open (default 75)
  --max-connections N      open connections at most; more are turned away (default 10000)
  --login-failures-per-user-address N  failed logins of a user name from one address before its next attempts
                           wait: 1 s, doubling each failure (default 3)
  --login-failures-per-address N  failed logins from one address, any user names, before it waits (default 20)
  --login-failures-per-user N  failed logins of a user name from addresses it never logged in from before
                           attempts from such addresses wait (default 50)
  --login-max-delay S      the longest such wait (default 900)
  --login-failure-window S failures are forgotten this long after the last one (default 3600)
  --help                   show this text
  --version                print the version

On first start with no users, an Administrator 'admin' is created with the password from
JOBSESSIOND_ADMIN_PASSWORD, or a random one printed once on stderr.
User commands read passwords from standard input, never from the command line.
migrate copies the SQLite store of a data directory (its server stopped) into a PostgreSQL database, keeping
ids and usns, and compares what each holds; it is safe to run again.
)";
}

ParsedCommandLine parse_command_line(int argc, const char* const* argv)
{
    ParsedCommandLine parsed;
    Config& config = parsed.config;
    // Environment first, so flags override it.
    for (const auto flag : kValueFlags) {
        std::string name = "JOBSESSIOND_";
        for (const char c : flag) {
            name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        }
        if (auto value = env(name.c_str())) {
            apply(config, flag, *value);
        }
    }
    if (auto value = env("JOBSESSIOND_HTTP")) {
        config.plain_http = truthy(*value);
    }
    if (auto value = env("JOBSESSIOND_ACCESS_LOG")) {
        config.access_log = truthy(*value);
    }
    if (auto value = env("JOBSESSIOND_ALLOW_UNSAFE_PERMISSIONS")) {
        config.allow_unsafe_permissions = truthy(*value);
    }

    int i = 1;
    if (i < argc && std::string_view(argv[i]) == "serve") {
        ++i;
    } else if (i < argc && std::string_view(argv[i]) == "user") {
        parsed.action = ParsedCommandLine::Action::User;
        ++i;
    } else if (i < argc && std::string_view(argv[i]) == "migrate") {
        parsed.action = ParsedCommandLine::Action::Migrate;
        ++i;
    }
    for (; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            parsed.action = ParsedCommandLine::Action::Help;
            return parsed;
        }
        if (arg == "--version") {
            parsed.action = ParsedCommandLine::Action::Version;
            return parsed;
        }
        if (arg == "--http") {
            config.plain_http = true;
            continue;
        }
        if (arg == "--access-log") {
            config.access_log = true;
            continue;
        }
        if (arg == "--allow-unsafe-permissions") {
            config.allow_unsafe_permissions = true;
            continue;
        }
        if (arg.starts_with("--")) {
            std::string_view name = arg.substr(2);
            std::string value;
            const auto eq = name.find('=');
            if (eq != std::string_view::npos) {
                value = std::string(name.substr(eq + 1));
                name = name.substr(0, eq);
            }
            // migrate names its source and target: the data directory and the database.
            if (parsed.action == ParsedCommandLine::Action::Migrate && (name == "from" || name == "to")) {
                name = name == "from" ? "data-dir" : "database";
            }
            const bool is_role = parsed.action == ParsedCommandLine::Action::User && name == "role";
            if (!is_role && std::find(std::begin(kValueFlags), std::end(kValueFlags), name) == std::end(kValueFlags)) {
                throw std::invalid_argument("unknown option --" + std::string(name) + " (see --help)");
            }
            if (eq == std::string_view::npos) {
                if (i + 1 >= argc) {
                    throw std::invalid_argument("--" + std::string(name) + " needs a value");
                }
                value = argv[++i];
            }
            if (is_role) {
                parsed.role = value;
                continue;
            }
            if (name == "database" && database_has_password(value)) {
                throw std::invalid_argument("--database must not hold a password (any user may read a command line): "
                                            "set JOBSESSIOND_DATABASE or use ~/.pgpass");
            }
            apply(config, name, value);
            continue;
        }
        if (parsed.action == ParsedCommandLine::Action::User) {
            parsed.user_args.emplace_back(arg);
            continue;
        }
        throw std::invalid_argument("unexpected argument '" + std::string(arg) + "' (see --help)");
    }
    if (config.tls_cert.empty() != config.tls_key.empty()) {
        throw std::invalid_argument("--tls-cert and --tls-key go together");
    }
    if (config.plain_http && !config.tls_cert.empty()) {
        throw std::invalid_argument("--http serves no TLS: leave out --tls-cert and --tls-key, or --http");
    }
    return parsed;
}

} // namespace jobsessions::app
