// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/config.hpp"

#include "jobsessions/domain/cron.hpp"
#include "jobsessions/util/strings.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>
#include <toml++/toml.h>
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

bool switched_on(std::string_view value)
{
    return util::iequals(value, "1") || util::iequals(value, "true") || util::iequals(value, "yes") ||
           util::iequals(value, "on");
}

std::int64_t whole_number(const std::string& value, std::int64_t min, std::int64_t max)
{
    const auto n = util::parse_int64(value);
    if (!n || *n < min || *n > max) {
        throw std::invalid_argument(" needs a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                                    ", not '" + value + "'");
    }
    return *n;
}

bool readable_by_others(const std::string& path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
}

/// How an option's value is written: a string, a whole number, true or false (a flag without a value on the
/// command line), or a list (comma-separated on the command line, an array of strings in the file).
enum class Kind : std::uint8_t { Text, Number, Switch, List };

struct Option {
    std::string_view name;
    Kind kind;
    /// Sets the option from its text; throws std::invalid_argument with the reason, which follows the option's
    /// name in the message (" needs ...", ": ...").
    void (*set)(Config&, const std::string&);
    /// The option's value as TOML for `config check`; empty when it is not set.
    std::string (*show)(const Config&);
};

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

// A database URI as `config check` shows it: its password, if any, replaced.
std::string shown_database(const std::string& value)
{
    auto parsed = boost::urls::parse_uri(value);
    if (!parsed) {
        return redacted_database(value);
    }
    boost::urls::url url(*parsed);
    if (url.has_password()) {
        url.set_password("********");
    }
    for (auto it = url.params().begin(); it != url.params().end(); ++it) {
        if (util::iequals((*it).key, "password")) {
            url.params().set(it, "********");
            break;
        }
    }
    return std::string(url.buffer());
}

[[noreturn]] void refuse(const std::string& reason)
{
    throw std::invalid_argument(reason);
}

/// A cron schedule, checked; nullopt for "off".
std::optional<std::string> schedule_or_off(const std::string& v)
{
    if (util::iequals(v, "off")) {
        return std::nullopt;
    }
    auto parsed = domain::CronSchedule::parse(v);
    if (const auto* error = std::get_if<std::string>(&parsed)) {
        refuse(": " + *error);
    }
    return v;
}

std::string quoted(const std::string& value)
{
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out + "\"";
}

std::string text_or_unset(const std::string& value)
{
    return value.empty() ? std::string() : quoted(value);
}

std::size_t count_between(const std::string& value, std::int64_t min, std::int64_t max)
{
    return static_cast<std::size_t>(whole_number(value, min, max));
}

// The options: their names are the flags without "--", the environment variables' suffixes (JOBSESSIOND_DATA_DIR)
// and the configuration file's keys. Reasons given by `set` follow the option's name in a message.
const Option kOptions[] = {
    {"listen", Kind::Text, [](Config& c, const std::string& v) { c.listen = v; },
     [](const Config& c) { return quoted(c.listen); }},
    {"data-dir", Kind::Text, [](Config& c, const std::string& v) { c.data_dir = v; },
     [](const Config& c) { return quoted(c.data_dir); }},
    {"http", Kind::Switch, [](Config& c, const std::string& v) { c.plain_http = switched_on(v); },
     [](const Config& c) { return std::string(c.plain_http ? "true" : "false"); }},
    {"tls-cert", Kind::Text, [](Config& c, const std::string& v) { c.tls_cert = v; },
     [](const Config& c) { return text_or_unset(c.tls_cert); }},
    {"tls-key", Kind::Text, [](Config& c, const std::string& v) { c.tls_key = v; },
     [](const Config& c) { return text_or_unset(c.tls_key); }},
    {"public-url", Kind::Text,
     [](Config& c, const std::string& v) {
         std::string url = v;
         while (!url.empty() && url.back() == '/') {
             url.pop_back();
         }
         if (!url.starts_with("http://") && !url.starts_with("https://")) {
             refuse(" must start with http:// or https://, not '" + v + "'");
         }
         c.public_url = url;
     },
     [](const Config& c) { return text_or_unset(c.public_url); }},
    {"node-name", Kind::Text,
     [](Config& c, const std::string& v) {
         if (v.empty() || v.size() > 255 ||
             v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
                 std::string::npos) {
             refuse(" needs 1 to 255 letters, digits, '.', '-' or '_', not '" + v + "'");
         }
         c.node_name = v;
     },
     [](const Config& c) { return text_or_unset(c.node_name); }},
    {"database", Kind::Text,
     [](Config& c, const std::string& v) {
         if (!v.starts_with("postgresql://") && !v.starts_with("postgres://")) {
             refuse(" needs a postgresql:// URI, not '" + redacted_database(v) + "'");
         }
         c.database = v;
     },
     [](const Config& c) { return c.database.empty() ? std::string() : quoted(shown_database(c.database)); }},
    {"database-pool", Kind::Number,
     [](Config& c, const std::string& v) { c.database_pool = count_between(v, 1, 1000); },
     [](const Config& c) { return c.database_pool == 0 ? std::string() : std::to_string(c.database_pool); }},
    {"threads", Kind::Number, [](Config& c, const std::string& v) { c.threads = count_between(v, 1, 4096); },
     [](const Config& c) { return c.threads == 0 ? std::string() : std::to_string(c.threads); }},
    {"blocking-threads", Kind::Number,
     [](Config& c, const std::string& v) { c.blocking_threads = count_between(v, 1, 4096); },
     [](const Config& c) { return std::to_string(c.blocking_threads); }},
    {"trusted-proxy", Kind::List,
     [](Config& c, const std::string& v) {
         c.trusted_proxies.clear();
         for (const auto item : util::split_list(v)) {
             c.trusted_proxies.emplace_back(item);
         }
     },
     [](const Config& c) {
         std::string out = "[";
         for (const auto& proxy : c.trusted_proxies) {
             out += (out.size() > 1 ? ", " : "") + quoted(proxy);
         }
         return out + "]";
     }},
    {"metrics-listen", Kind::Text, [](Config& c, const std::string& v) { c.metrics_listen = v; },
     [](const Config& c) { return text_or_unset(c.metrics_listen); }},
    {"policy-metrics", Kind::Number,
     [](Config& c, const std::string& v) { c.policy_metrics = count_between(v, 0, 10'000); },
     [](const Config& c) { return std::to_string(c.policy_metrics); }},
    {"access-log", Kind::Switch, [](Config& c, const std::string& v) { c.access_log = switched_on(v); },
     [](const Config& c) { return std::string(c.access_log ? "true" : "false"); }},
    {"log-format", Kind::Text,
     [](Config& c, const std::string& v) {
         if (v == "text") {
             c.log_format = log::Format::Text;
         } else if (v == "json") {
             c.log_format = log::Format::Json;
         } else {
             refuse(" needs text or json, not '" + v + "'");
         }
     },
     [](const Config& c) { return quoted(c.log_format == log::Format::Json ? "json" : "text"); }},
    {"allow-unsafe-permissions", Kind::Switch,
     [](Config& c, const std::string& v) { c.allow_unsafe_permissions = switched_on(v); },
     [](const Config& c) { return std::string(c.allow_unsafe_permissions ? "true" : "false"); }},
    {"retention-schedule", Kind::Text,
     [](Config& c, const std::string& v) { c.retention_schedule = schedule_or_off(v); },
     [](const Config& c) { return quoted(c.retention_schedule.value_or("off")); }},
    {"retention-days", Kind::Number,
     [](Config& c, const std::string& v) { c.retention_days = whole_number(v, 1, 36500); },
     [](const Config& c) { return std::to_string(c.retention_days); }},
    {"backup-schedule", Kind::Text, [](Config& c, const std::string& v) { c.backup_schedule = schedule_or_off(v); },
     [](const Config& c) { return quoted(c.backup_schedule.value_or("off")); }},
    {"backup-dir", Kind::Text, [](Config& c, const std::string& v) { c.backup_dir = v; },
     [](const Config& c) { return text_or_unset(c.backup_dir); }},
    {"backup-keep", Kind::Number, [](Config& c, const std::string& v) { c.backup_keep = count_between(v, 1, 10'000); },
     [](const Config& c) { return std::to_string(c.backup_keep); }},
    {"webhooks-allow-private", Kind::Switch,
     [](Config& c, const std::string& v) { c.webhooks_allow_private = switched_on(v); },
     [](const Config& c) { return std::string(c.webhooks_allow_private ? "true" : "false"); }},
    {"webhooks-ca-file", Kind::Text, [](Config& c, const std::string& v) { c.webhooks_ca_file = v; },
     [](const Config& c) { return text_or_unset(c.webhooks_ca_file); }},
    {"webhooks-first-retry-ms", Kind::Number,
     [](Config& c, const std::string& v) {
         c.webhooks_first_retry = std::chrono::milliseconds(whole_number(v, 10, 3'600'000));
     },
     [](const Config& c) { return std::to_string(c.webhooks_first_retry.count()); }},
    {"session-cache-mb", Kind::Number,
     [](Config& c, const std::string& v) { c.session_cache_mb = count_between(v, 0, 1'048'576); },
     [](const Config& c) { return std::to_string(c.session_cache_mb); }},
    {"request-timeout", Kind::Number,
     [](Config& c, const std::string& v) { c.limits.request_timeout = std::chrono::seconds(whole_number(v, 1, 3600)); },
     [](const Config& c) { return std::to_string(c.limits.request_timeout.count()); }},
    {"idle-timeout", Kind::Number,
     [](Config& c, const std::string& v) { c.limits.idle_timeout = std::chrono::seconds(whole_number(v, 1, 3600)); },
     [](const Config& c) { return std::to_string(c.limits.idle_timeout.count()); }},
    {"max-connections", Kind::Number,
     [](Config& c, const std::string& v) { c.limits.max_connections = count_between(v, 1, 1'000'000); },
     [](const Config& c) { return std::to_string(c.limits.max_connections); }},
    {"login-failures-per-user-address", Kind::Number,
     [](Config& c, const std::string& v) { c.login_throttle.free_per_user_and_address = whole_number(v, 0, 1000); },
     [](const Config& c) { return std::to_string(c.login_throttle.free_per_user_and_address); }},
    {"login-failures-per-address", Kind::Number,
     [](Config& c, const std::string& v) { c.login_throttle.free_per_address = whole_number(v, 0, 100'000); },
     [](const Config& c) { return std::to_string(c.login_throttle.free_per_address); }},
    {"login-failures-per-user", Kind::Number,
     [](Config& c, const std::string& v) { c.login_throttle.free_per_account = whole_number(v, 0, 100'000); },
     [](const Config& c) { return std::to_string(c.login_throttle.free_per_account); }},
    {"login-max-delay", Kind::Number,
     [](Config& c, const std::string& v) {
         c.login_throttle.max_delay = std::chrono::seconds(whole_number(v, 1, 86'400));
     },
     [](const Config& c) { return std::to_string(c.login_throttle.max_delay.count()); }},
    {"login-failure-window", Kind::Number,
     [](Config& c, const std::string& v) {
         c.login_throttle.forget_after = std::chrono::seconds(whole_number(v, 60, 86'400));
     },
     [](const Config& c) { return std::to_string(c.login_throttle.forget_after.count()); }},
};

const Option* find_option(std::string_view name)
{
    for (const auto& option : kOptions) {
        if (option.name == name) {
            return &option;
        }
    }
    return nullptr;
}

std::string env_name(std::string_view option)
{
    std::string name = "JOBSESSIOND_";
    for (const char c : option) {
        name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    return name;
}

/// Sets an option from one source; a bad value is an error naming where it came from.
void set_from(ParsedCommandLine& parsed, const Option& option, const std::string& value, const std::string& where)
{
    try {
        option.set(parsed.config, value);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(where + e.what());
    }
    parsed.origins[std::string(option.name)] = where;
}

/// The file's settings, each with its line; a key that is no option, a table or a value of the wrong type is an
/// error naming the file and the line.
void read_config_file(ParsedCommandLine& parsed, const std::string& path)
{
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        if (at.line == 0) { // not opened: there is no line to name
            throw std::invalid_argument(path + ": " + std::string(e.description()));
        }
        throw std::invalid_argument(path + ":" + std::to_string(at.line) + ": " + std::string(e.description()));
    }
    for (const auto& [key, node] : table) {
        const std::string name(key.str());
        auto where = path;
        where.append(":").append(std::to_string(node.source().begin.line)).append(": ").append(name);
        const auto* option = find_option(name);
        if (option == nullptr) {
            throw std::invalid_argument(where + " is not an option of jobsessiond (see --help)");
        }
        std::string value;
        switch (option->kind) {
        case Kind::Text:
            if (!node.is_string()) {
                throw std::invalid_argument(where + " needs a string in quotes");
            }
            value = node.as_string()->get();
            break;
        case Kind::Number:
            if (!node.is_integer()) {
                throw std::invalid_argument(where + " needs a whole number (without quotes)");
            }
            value = std::to_string(node.as_integer()->get());
            break;
        case Kind::Switch:
            if (!node.is_boolean()) {
                throw std::invalid_argument(where + " needs true or false");
            }
            value = node.as_boolean()->get() ? "true" : "false";
            break;
        case Kind::List:
            if (node.is_string()) {
                value = node.as_string()->get();
            } else if (const auto* items = node.as_array(); items != nullptr && items->is_homogeneous<std::string>()) {
                for (const auto& item : *items) {
                    value += (value.empty() ? "" : ",") + item.as_string()->get();
                }
            } else {
                throw std::invalid_argument(where + " needs a list of strings");
            }
            break;
        }
        set_from(parsed, *option, value, where);
    }
}

} // namespace

const char* usage() noexcept
{
    return R"(Usage: jobsessiond [serve] [options]
       jobsessiond user add|passwd|list|enable|disable|remove [NAME] [--role ROLE] --data-dir DIR
       jobsessiond migrate --from DATA_DIR --to postgresql://HOST/DB
       jobsessiond config check [options]
       jobsessiond backup --data-dir DIR --to FILE
       jobsessiond restore --from FILE --data-dir DIR

Serve the job-sessions API (HTTPS by default).

Options (each also settable as JOBSESSIOND_<OPTION>, e.g. JOBSESSIOND_DATA_DIR, and as a key of the
configuration file, e.g. data-dir = "/var/lib/jobsessions"; a flag wins over a variable, a variable over the file):
  --config FILE            the configuration file, TOML (default /etc/jobsessions/jobsessiond.conf when it
                           exists; also JOBSESSIOND_CONFIG)
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
  --database-pool N        pooled connections to the PostgreSQL database (default: twice the cores and two);
                           the server opens up to --threads plus four more
  --trusted-proxy ADDR     believe X-Forwarded-Proto/-Host from these peer addresses (comma-separated)
  --threads N              I/O threads (default: one per core)
  --blocking-threads N     threads for database writes and password hashing (default 32)
  --metrics-listen HOST:PORT  also serve GET /metrics here, without a token, for a scraper on a trusted address
                           (default: none; /metrics on --listen needs a Monitor's or Administrator's token)
  --policy-metrics N       per-policy metrics (last success, last status, missed runs) for at most N policies,
                           the first by name (default 0: none; each policy adds series)
  --access-log             log every request, not only failures
  --log-format text|json   the log on stderr: text lines (default), or one JSON object per line for journald,
                           Loki and the like
  --allow-unsafe-permissions  start even when other users may read or write the data directory, the
                           database or the TLS key (only a warning then; the default refuses to start)
  --retention-schedule CRON  when the retention job deletes old sessions (default "0 3 * * *", UTC;
                           "CRON_TZ=Europe/Berlin 0 3 * * *" for another zone; "off": never)
  --retention-days N       age in days at which sessions without a policy retention are deleted (default 90)
  --backup-schedule CRON   when the backup job copies the store into --backup-dir, as an AutoBackup session
                           (default "off"; e.g. "30 2 * * *")
  --backup-dir DIR         where scheduled backups go (jobsessions-YYYYMMDDTHHMMSSZ.db)
  --backup-keep N          how many scheduled backups are kept, the oldest deleted first (default 7)
  --webhooks-allow-private  post webhooks to loopback, private and link-local addresses too (the default
                           refuses them, so that a webhook cannot reach into the server's own network)
  --webhooks-ca-file FILE  certificate authorities (PEM) that webhook receivers' certificates are verified
                           against, besides the system's
  --webhooks-first-retry-ms N  delay before a failed delivery's first retry (default 10000); each next one
                           doubles it, up to an hour, with jitter; deliveries are retried for a day
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
config check reads the flags, the environment and the file as the server would, and prints the configuration
with where each value comes from, or the first error (naming the flag, the variable or the file's line).
backup writes a verified copy of the store of a data directory to FILE, while its server runs and writes go on.
restore puts a backup in place in a data directory whose server is stopped; the store it replaces is kept beside
it as jobsessions.db.replaced-TIME.
migrate copies the SQLite store of a data directory (its server stopped) into a PostgreSQL database, keeping
ids and usns, and compares what each holds; it is safe to run again.
)";
}

ParsedCommandLine parse_command_line(int argc, const char* const* argv)
{
    ParsedCommandLine parsed;
    int first = 1;
    if (first < argc && std::string_view(argv[first]) == "serve") {
        ++first;
    } else if (first < argc && std::string_view(argv[first]) == "user") {
        parsed.action = ParsedCommandLine::Action::User;
        ++first;
    } else if (first < argc && std::string_view(argv[first]) == "migrate") {
        parsed.action = ParsedCommandLine::Action::Migrate;
        ++first;
    } else if (first < argc && std::string_view(argv[first]) == "backup") {
        parsed.action = ParsedCommandLine::Action::Backup;
        ++first;
    } else if (first < argc && std::string_view(argv[first]) == "restore") {
        parsed.action = ParsedCommandLine::Action::Restore;
        ++first;
    } else if (first + 1 < argc && std::string_view(argv[first]) == "config" &&
               std::string_view(argv[first + 1]) == "check") {
        parsed.action = ParsedCommandLine::Action::ConfigCheck;
        first += 2;
    }

    // The flags first, kept in order; applied last, since they win over the environment and the file.
    struct Flag {
        const Option* option;
        std::string value;
    };
    std::vector<Flag> flags;
    std::optional<std::string> config_flag;
    for (int i = first; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            parsed.action = ParsedCommandLine::Action::Help;
            return parsed;
        }
        if (arg == "--version") {
            parsed.action = ParsedCommandLine::Action::Version;
            return parsed;
        }
        if (!arg.starts_with("--")) {
            if (parsed.action == ParsedCommandLine::Action::User) {
                parsed.user_args.emplace_back(arg);
                continue;
            }
            throw std::invalid_argument("unexpected argument '" + std::string(arg) + "' (see --help)");
        }
        std::string_view name = arg.substr(2);
        std::optional<std::string> value;
        if (const auto eq = name.find('='); eq != std::string_view::npos) {
            value = std::string(name.substr(eq + 1));
            name = name.substr(0, eq);
        }
        // migrate names its source and target: the data directory and the database.
        if (parsed.action == ParsedCommandLine::Action::Migrate && (name == "from" || name == "to")) {
            name = name == "from" ? "data-dir" : "database";
        }
        const bool is_role = parsed.action == ParsedCommandLine::Action::User && name == "role";
        const bool is_backup_file = (parsed.action == ParsedCommandLine::Action::Backup && name == "to") ||
                                    (parsed.action == ParsedCommandLine::Action::Restore && name == "from");
        const auto* option = find_option(name);
        if (!is_role && !is_backup_file && name != "config" && option == nullptr) {
            throw std::invalid_argument("unknown option --" + std::string(name) + " (see --help)");
        }
        if (option != nullptr && option->kind == Kind::Switch) {
            if (value) {
                throw std::invalid_argument("--" + std::string(name) + " takes no value");
            }
            flags.push_back({option, "true"});
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) {
                throw std::invalid_argument("--" + std::string(name) + " needs a value");
            }
            value = argv[++i];
        }
        if (is_role) {
            parsed.role = *value;
        } else if (is_backup_file) {
            parsed.backup_file = *value;
        } else if (name == "config") {
            config_flag = *value;
        } else {
            if (name == "database" && database_has_password(*value)) {
                throw std::invalid_argument("--database must not hold a password (any user may read a command line): "
                                            "set JOBSESSIOND_DATABASE, use ~/.pgpass or the configuration file");
            }
            flags.push_back({option, *value});
        }
    }

    // The file: --config, else JOBSESSIOND_CONFIG, else the default path when it exists.
    if (config_flag) {
        parsed.config_file = *config_flag;
    } else if (auto named = env("JOBSESSIOND_CONFIG")) {
        parsed.config_file = *named;
    } else if (::access(kDefaultConfigFile, F_OK) == 0) {
        parsed.config_file = kDefaultConfigFile;
    }
    if (!parsed.config_file.empty()) {
        read_config_file(parsed, parsed.config_file);
    }
    for (const auto& option : kOptions) {
        const auto name = env_name(option.name);
        if (auto value = env(name.c_str())) {
            set_from(parsed, option, *value, name);
        }
    }
    for (const auto& flag : flags) {
        set_from(parsed, *flag.option, flag.value, "--" + std::string(flag.option->name));
    }

    const auto& config = parsed.config;
    if (const auto origin = parsed.origins.find("database");
        origin != parsed.origins.end() && origin->second.starts_with(parsed.config_file + ":") &&
        database_has_password(config.database) && readable_by_others(parsed.config_file) &&
        !config.allow_unsafe_permissions) {
        throw std::invalid_argument(origin->second + " holds a password, and other users may read " +
                                    parsed.config_file + " (chmod o-r it)");
    }
    if (config.tls_cert.empty() != config.tls_key.empty()) {
        throw std::invalid_argument("--tls-cert and --tls-key go together");
    }
    if (config.plain_http && !config.tls_cert.empty()) {
        throw std::invalid_argument("--http serves no TLS: leave out --tls-cert and --tls-key, or --http");
    }
    if (config.backup_schedule && config.backup_dir.empty()) {
        throw std::invalid_argument("--backup-schedule needs --backup-dir, the directory the backups go to");
    }
    if (config.backup_schedule && !config.database.empty()) {
        throw std::invalid_argument("--backup-schedule backs up the SQLite store; back a PostgreSQL database up with "
                                    "its own tools (pg_dump)");
    }
    if ((parsed.action == ParsedCommandLine::Action::Backup || parsed.action == ParsedCommandLine::Action::Restore) &&
        parsed.backup_file.empty()) {
        throw std::invalid_argument(parsed.action == ParsedCommandLine::Action::Backup
                                        ? "backup needs --to FILE, the file the backup is written to"
                                        : "restore needs --from FILE, the backup to restore");
    }
    return parsed;
}

std::string describe(const ParsedCommandLine& parsed)
{
    std::string out = "# The configuration jobsessiond would run with";
    out += parsed.config_file.empty() ? " (no configuration file)" : " (file " + parsed.config_file + ")";
    out += ", and where each value comes from.\n";
    for (const auto& option : kOptions) {
        const auto value = option.show(parsed.config);
        const auto origin = parsed.origins.find(std::string(option.name));
        const auto from = origin == parsed.origins.end() ? std::string("default") : origin->second;
        if (value.empty()) {
            out.append("# ").append(option.name).append(" is not set");
        } else {
            out.append(option.name).append(" = ").append(value);
        }
        out.append("  # ").append(from).append("\n");
    }
    return out;
}

} // namespace jobsessions::app
