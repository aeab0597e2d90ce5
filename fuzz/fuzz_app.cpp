// SPDX-License-Identifier: Apache-2.0
#include "fuzz_app.hpp"

#include "jobsessions/api/api_application.hpp"
#include "jobsessions/api/dto/webhook_json.hpp"
#include "jobsessions/auth/password.hpp"
#include "jobsessions/auth/user_directory.hpp"
#include "jobsessions/runner/runner.hpp"
#include "jobsessions/service/auth_service.hpp"
#include "jobsessions/service/policy_service.hpp"
#include "jobsessions/service/webhook_service.hpp"
#include "jobsessions/store/store.hpp"

#include <boost/asio/ip/address.hpp>

#include <unistd.h>

#include <cstdlib>
#include <future>
#include <stdexcept>
#include <sys/stat.h>

namespace jobsessions::fuzz {
namespace {

std::string fresh_directory()
{
    struct stat st {};
    std::string pattern =
        (::stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp") + std::string("/jobsessions-fuzz-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("cannot make a directory for the fuzzer's store");
    }
    return pattern;
}

void replace_all(std::string& text, std::string_view from, std::string_view to)
{
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

} // namespace

struct FuzzApp::Parts {
    std::string directory = fresh_directory();
    std::unique_ptr<store::Store> store;
    util::SystemClock clock;
    auth::UserDirectory users;
    std::unique_ptr<service::AuthService> auth;
    service::ChangeHub hub;
    std::unique_ptr<service::SessionService> sessions;
    std::unique_ptr<service::RunRecords> run_records;
    std::unique_ptr<runner::Runner> runner;
    std::unique_ptr<service::PolicyService> policies;
    std::unique_ptr<service::WebhookService> webhooks;
    api::SessionBodyCache session_bodies{std::size_t{4} * 1024 * 1024};
    api::RenderedPages rendered_pages{std::size_t{2} * 1024 * 1024};
    std::unique_ptr<api::Services> services;
    std::unique_ptr<api::ApiApplication> application;
    std::string admin_token;
    std::string agent_token;
    std::string webhook_id;

    std::string token_of(const std::string& name, const std::string& password)
    {
        std::promise<service::LoginOutcome> answered;
        auth->login(service::LoginAttempt{name, password, boost::asio::ip::make_address("127.0.0.1")},
                    [&](service::LoginOutcome outcome) { answered.set_value(std::move(outcome)); });
        auto outcome = answered.get_future().get();
        if (!outcome.grant) {
            throw std::runtime_error("the fuzzer's user cannot log in");
        }
        return outcome.grant->access_token;
    }

    void add_user(const std::string& name, domain::Role role, const std::string& password)
    {
        domain::User user;
        user.name = name;
        user.role = role;
        user.password_hash = auth::hash_password(password);
        if (!store->create_user(user)) {
            throw std::runtime_error("cannot add the fuzzer's users");
        }
    }
};

FuzzApp& FuzzApp::instance()
{
    // Never destroyed: the process ends when the fuzzer is done, and a global pointer keeps LeakSanitizer quiet.
    static FuzzApp* app = new FuzzApp;
    return *app;
}

FuzzApp::FuzzApp()
    : parts_(std::make_unique<Parts>())
{
    auto& p = *parts_;
    auth::init_crypto();
    auto opened = store::open_sqlite_store(store::StoreOptions{p.directory + "/jobsessions.db"});
    if (!opened) {
        throw std::runtime_error("cannot open the fuzzer's store: " + opened.error().message);
    }
    p.store = std::move(*opened);
    p.add_user("admin", domain::Role::Administrator, "fuzz-admin-password");
    p.add_user("agent", domain::Role::Agent, "fuzz-agent-password");
    auto key = p.store->get_or_create_secret("jwt_signing_key", [] { return auth::random_bytes(32); });
    if (!key) {
        throw std::runtime_error("no signing key");
    }
    p.auth = std::make_unique<service::AuthService>(service::AccountStores{*p.store, *p.store, *p.store}, p.clock,
                                                    p.users, *key);
    if (!p.auth->reload_users()) {
        throw std::runtime_error("cannot read the fuzzer's users");
    }
    p.sessions = std::make_unique<service::SessionService>(*p.store, *p.store, p.clock, p.hub);
    p.run_records = std::make_unique<service::RunRecords>(*p.store);
    runner::RunnerConfig runner_config;
    runner_config.default_working_directory = p.directory;
    p.runner = std::make_unique<runner::Runner>(*p.sessions, *p.run_records, runner_config);
    p.policies = std::make_unique<service::PolicyService>(*p.store, *p.sessions, *p.runner, p.clock, p.hub);
    api::ApiConfig config;
    config.server_version = "fuzz";
    config.node_name = "fuzz";
    config.storage = "sqlite";
    config.trusted_proxies.push_back(boost::asio::ip::make_address("127.0.0.1"));
    // Webhooks are defined and changed, never delivered: there is no job to post them.
    p.webhooks = std::make_unique<service::WebhookService>(
        *p.store, *p.store, p.clock,
        [](domain::WebhookEvent event, util::Micros time, const domain::JobSession& session) {
            return api::dto::webhook_payload(event, time, session, std::nullopt);
        },
        service::WebhookConfig{});
    p.services = std::make_unique<api::Services>(
        api::Services{*p.sessions, *p.auth, *p.policies, p.session_bodies, p.rendered_pages, p.clock, config});
    p.services->webhooks = p.webhooks.get();
    p.application = std::make_unique<api::ApiApplication>(*p.services);
    p.admin_token = p.token_of("admin", "fuzz-admin-password");
    p.agent_token = p.token_of("agent", "fuzz-agent-password");
    domain::Webhook hook;
    hook.url = "https://receiver.example/hook";
    hook.events = {domain::WebhookEvent::SessionFinished};
    auto made = p.webhooks->create(hook);
    if (!made) {
        throw std::runtime_error("cannot make the fuzzer's webhook");
    }
    p.webhook_id = made->id;
    // Session 1, the Agent's, with a log, for the routes that name a session.
    service::CreateSession first;
    first.log.push_back(service::logged_now(domain::SessionStatus::Success, "fuzz"));
    auto agent = p.store->find_user("agent");
    if (!agent || !p.sessions->create(service::Principal{agent->id, domain::Role::Agent, 1}, first, nullptr)) {
        throw std::runtime_error("cannot make the fuzzer's session");
    }
}

FuzzApp::~FuzzApp() = default;

void FuzzApp::answer(const OwnedRequest& owned)
{
    http::Request request;
    owned.fill(request);
    http::Response response;
    answer(request, response);
}

void FuzzApp::answer(http::Request& request, http::Response& response)
{
    response.reset();
    (void)parts_->application->needs_blocking_pool(request); // routes it; where it runs matters not here
    parts_->application->handle(request, response);
    if (response.stream && response.stream_now) {
        std::string piece;
        for (int i = 0; i < 4; ++i) {
            piece.clear();
            if (response.stream->produce(piece) != http::BodySource::Step::More) {
                break;
            }
        }
        response.stream->stop();
    }
}

api::ApiApplication& FuzzApp::application()
{
    return *parts_->application;
}

const std::string& FuzzApp::admin_token() const
{
    return parts_->admin_token;
}

const std::string& FuzzApp::agent_token() const
{
    return parts_->agent_token;
}

const std::string& FuzzApp::webhook_id() const
{
    return parts_->webhook_id;
}

std::string FuzzApp::with_tokens(std::string_view text) const
{
    std::string out(text);
    replace_all(out, "@ADMIN@", parts_->admin_token);
    replace_all(out, "@AGENT@", parts_->agent_token);
    return out;
}

void OwnedRequest::fill(http::Request& request) const
{
    request = http::Request{};
    request.method = boost::beast::http::string_to_verb(method);
    request.method_text = method;
    request.target = target;
    request.host = host;
    request.authorization = authorization;
    request.content_type = content_type;
    request.accept = accept;
    request.last_event_id = last_event_id;
    request.body = body;
    request.peer = boost::asio::ip::make_address("127.0.0.1");
}

} // namespace jobsessions::fuzz
