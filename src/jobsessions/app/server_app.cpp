// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/server_app.hpp"

#include "jobsessions/api/api_application.hpp"
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/api/metrics_application.hpp"
#include "jobsessions/app/data_dir.hpp"
#include "jobsessions/app/server_metrics.hpp"
#include "jobsessions/app/systemd.hpp"
#include "jobsessions/app/user_command.hpp"
#include "jobsessions/auth/password.hpp"
#include "jobsessions/auth/token_codec.hpp"
#include "jobsessions/http/outbound.hpp"
#include "jobsessions/http/server.hpp"
#include "jobsessions/http/tls.hpp"
#include "jobsessions/log/log.hpp"
#include "jobsessions/metrics/registry.hpp"
#include "jobsessions/runner/backup_job.hpp"
#include "jobsessions/runner/cluster_node.hpp"
#include "jobsessions/runner/group_keeper.hpp"
#include "jobsessions/runner/retention.hpp"
#include "jobsessions/runner/runner.hpp"
#include "jobsessions/runner/scheduler.hpp"
#include "jobsessions/runner/webhook_job.hpp"
#include "jobsessions/service/change_relay.hpp"
#include "jobsessions/service/cluster_service.hpp"
#include "jobsessions/service/policy_metrics.hpp"
#include "jobsessions/service/policy_service.hpp"
#include "jobsessions/service/session_metrics.hpp"
#include "jobsessions/util/thread_name.hpp"
#include "jobsessions/web/web_application.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>

#ifndef JOBSESSIONS_VERSION
#define JOBSESSIONS_VERSION "0.0.0"
#endif

namespace jobsessions::app {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// How often the in-memory user directory is reloaded: the longest a disabled user's token keeps working.
constexpr auto kUserReloadInterval = std::chrono::seconds(2);

/// The address of a HOST:PORT option; `flag` names the option in errors.
tcp::endpoint resolve_listen(const std::string& listen, const std::string& flag = "--listen")
{
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        throw std::invalid_argument(flag + " needs HOST:PORT, not '" + listen + "'");
    }
    std::string host = listen.substr(0, colon);
    const std::string port_text = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    char* end = nullptr;
    const long port = std::strtol(port_text.c_str(), &end, 10);
    if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
        throw std::invalid_argument(flag + " needs a port from 0 to 65535, not '" + port_text + "'");
    }
    if (host.empty()) {
        host = "0.0.0.0";
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) {
        asio::io_context ctx;
        tcp::resolver resolver(ctx);
        const auto results = resolver.resolve(host, port_text, ec);
        if (ec || results.empty()) {
            throw std::invalid_argument(flag + ": cannot resolve '" + host + "'");
        }
        address = results.begin()->endpoint().address();
    }
    return {address, static_cast<unsigned short>(port)};
}

std::string host_name()
{
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
        return "localhost";
    }
    return buf;
}

std::string random_password()
{
    // 18 random bytes: 24 URL-safe characters, 144 bits.
    return auth::base64url_encode(auth::random_bytes(18));
}

void bootstrap_admin(store::Store& store)
{
    auto users = store.list_users();
    if (!users) {
        throw std::runtime_error("cannot read users: " + users.error().message);
    }
    if (!users->empty()) {
        return;
    }
    std::string password;
    bool generated = false;
    if (const char* given = std::getenv("JOBSESSIOND_ADMIN_PASSWORD"); given != nullptr && *given != '\0') {
        password = given;
        check_password_strength(password);
    } else {
        password = random_password();
        generated = true;
    }
    domain::User admin;
    admin.name = "admin";
    admin.role = domain::Role::Administrator;
    admin.password_hash = auth::hash_password(password);
    admin.created_at = util::now_micros();
    if (auto created = store.create_user(admin); !created) {
        throw std::runtime_error("cannot create the admin user: " + created.error().message);
    }
    if (generated) {
        log::announce(log::Level::Warning, "created user 'admin' (Administrator) with password: " + password);
        log::announce(log::Level::Warning,
                      "this password is shown only once; change it with 'jobsessiond user passwd admin'");
    } else {
        log::announce(log::Level::Info,
                      "created user 'admin' (Administrator) with the password from JOBSESSIOND_ADMIN_PASSWORD");
    }
}

std::shared_ptr<asio::ssl::context> make_tls(const Config& config)
{
    http::CertificateFiles files{config.tls_cert, config.tls_key};
    if (files.certificate_path.empty()) {
        const std::string dir = config.data_dir + "/tls";
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
        }
        check_private(dir, "the certificate directory", config.allow_unsafe_permissions);
        files = {dir + "/cert.pem", dir + "/key.pem"};
        if (!std::filesystem::exists(files.certificate_path) || !std::filesystem::exists(files.key_path)) {
            std::filesystem::remove(files.certificate_path);
            std::filesystem::remove(files.key_path);
            http::generate_self_signed(files, host_name());
            log::announce(log::Level::Info, "generated a self-signed certificate in " + dir);
        }
        log::announce(log::Level::Info,
                      "certificate SHA-256 fingerprint " + http::certificate_fingerprint(files.certificate_path));
    }
    check_private(files.key_path, "the TLS key", config.allow_unsafe_permissions, true);
    return http::make_server_tls_context(files);
}

/// Reloads the user directory every few seconds until stopped.
class UserReloader {
public:
    explicit UserReloader(service::AuthService& auth)
        : thread_([this, &auth] {
            util::name_this_thread("user-reload");
            std::unique_lock lock(mutex_);
            while (!stop_) {
                wake_.wait_for(lock, kUserReloadInterval, [this] { return stop_; });
                if (stop_) {
                    break;
                }
                lock.unlock();
                if (auto reloaded = auth.reload_users(); !reloaded) {
                    log::warning("cannot reload users from the store: " + reloaded.error().for_log());
                }
                lock.lock();
            }
        })
    {
    }
    ~UserReloader()
    {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    UserReloader(const UserReloader&) = delete;
    UserReloader& operator=(const UserReloader&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

/// Opens /dev/null on any of descriptors 0, 1 and 2 that is closed, so that no file the server opens later takes
/// one of their numbers (and a command's output or a log line goes into it), and makes every other descriptor
/// the server was started with close-on-exec: whatever its parent left open is not passed on to commands.
void tidy_inherited_descriptors()
{
    // On a kernel without this, each run's child still closes them all before exec.
    (void)::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            // The lowest free number: this one, since those below it are open. Close-on-exec like every other
            // descriptor: a run's child puts its own stdin, stdout and stderr there (dup2 clears the flag).
            const int opened = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            (void)opened; // nothing to undo when even /dev/null cannot be opened
        }
    }
}

/// Raises the soft limit on open descriptors so that `max_connections` connections, the database and the runs
/// fit (as far as the hard limit allows; a warning says when it does not). Returns the soft limit it found, which
/// commands get back.
rlim_t raise_descriptor_limit(std::size_t max_connections)
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return RLIM_INFINITY;
    }
    const rlim_t inherited = limit.rlim_cur;
    const rlim_t wanted = static_cast<rlim_t>(max_connections) + 1024; // files, pipes and runs beside connections
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = std::min(wanted, limit.rlim_max);
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            limit.rlim_cur = inherited;
        }
    }
    if (limit.rlim_cur < wanted) {
        log::warning("only " + std::to_string(limit.rlim_cur) + " open files are allowed (ulimit -n, LimitNOFILE=); " +
                     std::to_string(max_connections) + " connections (--max-connections) need about " +
                     std::to_string(wanted));
    }
    return inherited;
}

} // namespace

int run_server(const Config& config)
{
    // Block the stop signals before any thread starts, so every thread inherits the mask and the main thread
    // alone receives them through sigwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    tidy_inherited_descriptors();
    try {
        auth::init_crypto();
        // Forked first, while the process has one thread and has opened nothing.
        runner::GroupKeeper keeper;
        // Before any thread starts, and before any command could see it.
        const auto systemd = SystemdNotifier::from_environment();
        // Every file the server makes holds or may hold a secret: owner-only, whatever umask it was started with.
        // Commands get the inherited one back.
        const mode_t inherited_umask = ::umask(077);
        const rlim_t inherited_descriptors = raise_descriptor_limit(config.limits.max_connections);
        // Port, data directory, certificate: whatever can fail does before the store is made and the admin
        // password shown.
        const auto endpoint = resolve_listen(config.listen);
        auto listener = http::Listener::bind(endpoint);
        if (!listener) {
            throw std::runtime_error("cannot listen on " + config.listen + ": " + listener.error().message());
        }
        std::optional<http::Listener> metrics_listener;
        if (!config.metrics_listen.empty()) {
            auto bound_metrics = http::Listener::bind(resolve_listen(config.metrics_listen, "--metrics-listen"));
            if (!bound_metrics) {
                throw std::runtime_error("cannot listen on " + config.metrics_listen +
                                         " (--metrics-listen): " + bound_metrics.error().message());
            }
            metrics_listener.emplace(std::move(*bound_metrics));
        }
        const DataDirOptions dir_options{true, config.allow_unsafe_permissions};
        prepare_data_dir(config.data_dir, dir_options);
        DataDirLock lock(config.data_dir);
        std::shared_ptr<asio::ssl::context> tls;
        if (!config.plain_http) {
            tls = make_tls(config);
        }
        const std::size_t io_threads =
            config.threads != 0 ? config.threads : std::max(1U, std::thread::hardware_concurrency());
        // Before the store, which its observer must outlive.
        metrics::Registry registry;
        StoreMetrics store_metrics(registry);
        // PostgreSQL: as many pooled connections as statements usefully run at once, twice the cores and two; the
        // threads past them wait their turn. With one per blocking thread (32), as many backends ran at once on two
        // cores and a page's p99 was 0.6-1.2 s, against 42 ms with six. The writes that take usns have a connection
        // of their own, and so have each I/O thread's lookups by id (store/postgres/session_lookups.hpp).
        const std::size_t pooled =
            config.database_pool != 0
                ? config.database_pool
                : 2 * static_cast<std::size_t>(std::max(1U, std::thread::hardware_concurrency())) + 2;
        auto store =
            config.database.empty() ? open_store(config.data_dir, dir_options) : open_database(config.database, pooled);
        bootstrap_admin(*store);
        ::unsetenv("JOBSESSIOND_ADMIN_PASSWORD");

        auto signing_key = store->get_or_create_secret("jwt_signing_key", [] { return auth::random_bytes(32); });
        if (!signing_key) {
            throw std::runtime_error("cannot read the token signing key: " + signing_key.error().message);
        }
        util::SystemClock clock;
        auth::UserDirectory users;
        service::AuthService auth_service({*store, *store, *store}, clock, users, *signing_key, config.login_throttle);
        if (auto reloaded = auth_service.reload_users(); !reloaded) {
            throw std::runtime_error("cannot read users from the store: " + reloaded.error().for_log());
        }
        service::ChangeHub hub;
        service::SessionService sessions(*store, *store, clock, hub);
        const std::string node_name = config.node_name.empty() ? host_name() : config.node_name;
        // Servers sharing a database: each is a node with a lease; one schedules; changes are relayed.
        std::optional<service::ClusterService> cluster;
        if (store->cluster() != nullptr) {
            cluster.emplace(*store->cluster(), node_name);
        }
        service::RunRecords run_records(*store, cluster ? node_name : std::string());
        runner::RunnerConfig runner_config;
        runner_config.default_working_directory = std::filesystem::absolute(config.data_dir).string();
        runner_config.command_umask = inherited_umask;
        runner_config.command_descriptor_limit = inherited_descriptors;
        runner_config.keeper = &keeper;
        runner::Runner runner(sessions, run_records, runner_config);
        runner::Scheduler* scheduler_ref = nullptr;
        std::optional<runner::ClusterNode> node;
        if (cluster) {
            node.emplace(*cluster, run_records, runner, [&scheduler_ref] {
                if (scheduler_ref != nullptr) {
                    scheduler_ref->reload();
                }
            });
        }
        service::PolicyService policies(*store, sessions, runner, clock, hub);
        runner::Scheduler scheduler(policies, runner, clock, node ? &*node : nullptr);
        scheduler_ref = &scheduler;
        if (node) {
            if (auto started = node->start(); !started) {
                throw std::runtime_error("cannot take the lease of node " + node_name + ": " +
                                         started.error().for_log());
            }
        }
        runner.recover();
        sessions.on_stop([&runner](std::int64_t id) { runner.request_stop(id); });
        sessions.on_ended([&runner](std::int64_t id) { runner.session_ended(id); });
        policies.on_change([&scheduler] { scheduler.reload(); });
        std::optional<service::ChangeRelay> relay;
        if (cluster) {
            // A stop asked through another node reaches the run here.
            relay.emplace(
                *cluster, sessions, [&runner](std::int64_t id) { runner.session_changed_elsewhere(id); },
                [&scheduler] { scheduler.reload(); });
            if (auto started = relay->start(); !started) {
                throw std::runtime_error("cannot listen for the changes of other servers: " +
                                         started.error().for_log());
            }
        }
        scheduler.start();
        service::RetentionService retention_service(*store, *store);
        std::optional<runner::RetentionJob> retention;
        if (config.retention_schedule) {
            retention.emplace(sessions, policies, retention_service, clock,
                              runner::RetentionConfig{std::get<domain::CronSchedule>(
                                                          domain::CronSchedule::parse(*config.retention_schedule)),
                                                      config.retention_days},
                              node ? &*node : nullptr);
            retention->start();
            log::info("retention: on schedule '" + *config.retention_schedule +
                      "', sessions without a policy "
                      "retention are deleted after " +
                      std::to_string(config.retention_days) + " days");
        } else {
            log::info("retention: off, no session is ever deleted");
        }
        std::optional<service::BackupService> backups;
        std::optional<runner::BackupJob> backup_job;
        if (config.backup_schedule) {
            std::error_code ec;
            std::filesystem::create_directories(config.backup_dir, ec);
            if (ec || ::access(config.backup_dir.c_str(), W_OK) != 0) {
                throw std::runtime_error("--backup-dir " + config.backup_dir + " is not a directory this server " +
                                         "may write" + (ec ? ": " + ec.message() : std::string()));
            }
            backups.emplace(*store, config.backup_dir, config.backup_keep);
            backup_job.emplace(sessions, *backups, clock,
                               std::get<domain::CronSchedule>(domain::CronSchedule::parse(*config.backup_schedule)));
            backup_job->start();
            log::info("backup: on schedule '" + *config.backup_schedule + "', into " + config.backup_dir +
                      ", keeping the newest " + std::to_string(config.backup_keep));
        }

        // Webhooks: the change feed into the outbox, and the outbox to the receivers, on the job's threads.
        std::optional<api::BaseUrl> payload_links;
        if (!config.public_url.empty()) {
            payload_links = api::BaseUrl{"", config.public_url};
        }
        service::WebhookService webhooks(
            *store, *store, clock,
            [payload_links](domain::WebhookEvent event, util::Micros time, const domain::JobSession& session) {
                return api::dto::webhook_payload(event, time, session, payload_links);
            },
            service::WebhookConfig{config.webhooks_allow_private, config.webhooks_first_retry});
        const http::OutboundClient outbound({config.webhooks_allow_private, config.webhooks_ca_file,
                                             std::chrono::seconds(10),
                                             std::string("jobsessions/") + JOBSESSIONS_VERSION});
        runner::WebhookJob webhook_job(
            webhooks, hub, clock,
            [&outbound](const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body) {
                auto answer = outbound.post(url, headers, body);
                return service::PostOutcome{answer.status, std::move(answer.error), answer.took};
            },
            node ? &*node : nullptr);
        webhook_job.start();

        api::ApiConfig api_config;
        api_config.public_url = config.public_url;
        api_config.server_version = JOBSESSIONS_VERSION;
        api_config.node_name = node_name;
        api_config.storage = config.database.empty() ? "sqlite" : "postgresql";
        api_config.access_log = config.access_log;
        for (const auto& proxy : config.trusted_proxies) {
            boost::system::error_code ec;
            const auto address = asio::ip::make_address(proxy, ec);
            if (ec) {
                throw std::invalid_argument("--trusted-proxy needs IP addresses, not '" + proxy + "'");
            }
            api_config.trusted_proxies.push_back(address);
        }
        api::SessionBodyCache session_bodies(config.session_cache_mb * 1024 * 1024);
        api::RenderedPages rendered_pages(config.session_cache_mb * 1024 * 1024 / 2);
        register_server_metrics(registry, api_config);
        store_metrics.observe(*store);
        register_runner_metrics(registry, runner);
        api::RequestMetrics request_metrics(registry);
        service::SessionMetrics session_metrics(registry, sessions);
        std::optional<service::PolicyMetrics> policy_metrics;
        if (config.policy_metrics > 0) {
            policy_metrics.emplace(registry, sessions, policies, config.policy_metrics);
        }
        api::Services services{sessions, auth_service, policies,         session_bodies, rendered_pages,
                               clock,    api_config,   &request_metrics, &registry,      &webhooks};
        services.cluster = cluster ? &*cluster : nullptr;
        api::ApiApplication api_application(services);
        web::WebApplication application(api_application);

        http::Server server(application, config.limits, io_threads, config.blocking_threads, tls);
        register_transport_metrics(registry, server);
        const auto bound = listener->endpoint();
        server.listen(std::move(*listener));
        server.start();
        api::MetricsApplication metrics_application(registry, services.cluster);
        std::optional<http::Server> metrics_server;
        if (metrics_listener) {
            const auto metrics_bound = metrics_listener->endpoint();
            metrics_server.emplace(metrics_application, config.limits, 1, 1, nullptr);
            metrics_server->listen(std::move(*metrics_listener));
            metrics_server->start();
            log::info("metrics on http://" + metrics_bound.address().to_string() + ":" +
                      std::to_string(metrics_bound.port()) + "/metrics, without a token");
        }
        UserReloader reloader(auth_service);

        std::string shown_host = bound.address().to_string();
        if (bound.address().is_unspecified()) {
            shown_host = "localhost";
        } else if (bound.address().is_v6()) {
            shown_host = "[" + shown_host + "]";
        }
        // The line scripts wait for, on stdout; in JSON like the log when the log is JSON.
        const auto url = std::string(tls ? "https" : "http") + "://" + shown_host + ":" + std::to_string(bound.port());
        const auto listening = std::string("jobsessiond ") + JOBSESSIONS_VERSION + " listening on " + url;
        if (log::format() == log::Format::Json) {
            const std::array<log::Field, 1> fields{{{"url", url}}};
            std::cout << log::format_line(log::Level::Info, listening, fields) << std::flush;
        } else {
            std::cout << listening << std::endl;
        }
        // Ready only now: the store is open and the port accepts.
        systemd.notify("READY=1\nSTATUS=listening on " + url);
        std::optional<WatchdogKeeper> watchdog;
        watchdog.emplace(systemd, [&server](std::chrono::microseconds interval) {
            // The loops sweep once a second: a shorter interval cannot tell a stuck loop from a waiting one.
            return server.responsive(std::max<std::chrono::steady_clock::duration>(interval, std::chrono::seconds(3)));
        });

        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        log::info(std::string("received ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT") + "; shutting down");
        systemd.notify("STOPPING=1\nSTATUS=shutting down");
        watchdog.reset();
        server.shutdown();
        if (metrics_server) {
            metrics_server->shutdown();
        }
        if (relay) {
            relay->stop();
        }
        webhook_job.stop();
        scheduler.stop();
        if (retention) {
            retention->stop();
        }
        if (backup_job) {
            backup_job->stop();
        }
        runner.shutdown();
        if (node) {
            node->stop(); // after the runs ended: no other node takes them for orphans meanwhile
        }
        log::info("stopped");
        return 0;
    } catch (const std::exception& e) {
        log::announce(log::Level::Error, e.what());
        return 1;
    }
}

} // namespace jobsessions::app
