// SPDX-License-Identifier: Apache-2.0
// jobsessions login, logout.
#include "cli/context.hpp"
#include "cli/errors.hpp"
#include "cli/terminal.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

namespace jobsessions::cli {
namespace {

struct LoginOptions {
    std::string url;
    std::string username;
    bool password_stdin = false;
};

std::string env(const char* name)
{
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

// Reaches the server's public about endpoint, so that TLS trust is settled before a password is sent. A
// certificate no authority vouches for is offered to the operator by its fingerprint, on the terminal only.
void settle_trust(const std::string& server, Trust& trust, bool explicit_trust)
{
    for (;;) {
        try {
            Connection connection(server, trust);
            const auto answer = connection.send(HttpRequest{"GET", "/api/v1/system/about", {}, {}});
            if (answer.status != 200) {
                throw CliError(kError, server + " does not answer as a jobsessiond does (GET /api/v1/system/about: " +
                                           std::to_string(answer.status) + ")");
            }
            return;
        } catch (const UntrustedCertificate& untrusted) {
            if (explicit_trust) {
                throw;
            }
            const auto answer = ask_terminal("The certificate of " + server +
                                                 " is not signed by an authority this system trusts.\n"
                                                 "Its SHA-256 fingerprint is\n  " +
                                                 untrusted.fingerprint() +
                                                 "\nCompare it with the fingerprint jobsessiond printed when it "
                                                 "made the certificate.\nTrust this certificate? [y/N] ",
                                             true);
            if (!answer) {
                throw; // no terminal to ask on: the message says how to pass --fingerprint
            }
            if (*answer != "y" && *answer != "Y" && *answer != "yes") {
                throw CliError(kError, "not signed in: the certificate was not trusted");
            }
            trust.fingerprint = untrusted.fingerprint();
        }
    }
}

void login(const GlobalOptions& global, const LoginOptions& options)
{
    ConfigFile config(ConfigFile::default_path());
    config.load();
    const auto& flags = global.connection;
    const std::string profile_name = !flags.profile.empty()                ? flags.profile
                                     : !env("JOBSESSIONS_PROFILE").empty() ? env("JOBSESSIONS_PROFILE")
                                                                           : config.current;
    Profile profile;
    if (const auto found = config.profiles.find(profile_name); found != config.profiles.end()) {
        profile = found->second;
    }
    std::string server = !options.url.empty()                 ? options.url
                         : !flags.server.empty()              ? flags.server
                         : !env("JOBSESSIONS_SERVER").empty() ? env("JOBSESSIONS_SERVER")
                                                              : profile.server;
    while (!server.empty() && server.back() == '/') {
        server.pop_back();
    }
    if (server.empty()) {
        throw CliError(kUsage, "which server? jobsessions login https://HOST:PORT");
    }
    const bool explicit_trust = !flags.fingerprint.empty() || !flags.cacert.empty() || flags.insecure;
    Trust trust{flags.fingerprint, flags.cacert, flags.insecure};
    if (!flags.fingerprint.empty()) {
        trust.fingerprint = normalize_fingerprint(flags.fingerprint);
        if (trust.fingerprint.empty()) {
            throw CliError(kUsage, "--fingerprint must be the 64 hex digits of a SHA-256 fingerprint");
        }
    }
    if (!explicit_trust && profile.server == server) {
        trust = Trust{profile.fingerprint, profile.cacert, profile.insecure};
    }
    if (trust.insecure) {
        std::cerr << "jobsessions: warning: --insecure: the server's certificate is not checked, so anyone on the "
                     "way can read the password and change what is sent\n";
    }
    settle_trust(server, trust, explicit_trust);

    std::string username = options.username;
    if (username.empty()) {
        auto typed = ask_terminal("User name: ", true);
        if (!typed || typed->empty()) {
            throw CliError(kUsage, "no user name: give --username (and --password-stdin) when not on a terminal");
        }
        username = *typed;
    }
    std::string password;
    if (options.password_stdin) {
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') {
            password.pop_back();
        }
    } else {
        auto typed = ask_terminal("Password for " + username + ": ", false);
        if (!typed) {
            throw CliError(kUsage, "no terminal to ask the password on: pipe it in with --password-stdin");
        }
        password = *typed;
    }

    Connection connection(server, trust);
    HttpRequest request{"POST",
                        "/api/oauth2/token",
                        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
                        "grant_type=password&username=" + form_value(username) + "&password=" + form_value(password)};
    const auto answer = connection.send(request);
    if (answer.status != 200) {
        throw CliError(answer.status == 400 || answer.status == 401 ? kNotAllowed : exit_code_for(answer.status),
                       "not signed in: " + problem_text(answer));
    }
    const auto doc = boost::json::parse(answer.body);
    const auto& tokens = doc.as_object();
    profile.server = server;
    profile.fingerprint = trust.fingerprint;
    profile.cacert = trust.cacert;
    profile.insecure = trust.insecure;
    profile.username = username;
    profile.access_token = std::string(tokens.at("access_token").as_string());
    profile.refresh_token = std::string(tokens.at("refresh_token").as_string());
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    profile.access_token_expires_at = now + tokens.at("expires_in").to_number<std::int64_t>();
    const std::string role = tokens.contains("roleName") ? std::string(tokens.at("roleName").as_string()) : "";
    {
        const auto guard = config.lock();
        config.load();
        if (config.profiles.empty()) {
            config.current = profile_name;
        }
        config.profiles[profile_name] = profile;
        config.save();
    }
    std::cerr << "Signed in to " << server << " as " << username << (role.empty() ? "" : " (" + role + ")")
              << (profile_name == "default" ? std::string() : ", profile " + profile_name) << ".\n";
}

void logout(const GlobalOptions& global)
{
    ApiClient client(global.connection);
    const auto server = client.server();
    const auto profile_name = client.profile_name();
    // Revokes the login on the server: its refresh token stops working everywhere it was copied to.
    client.call(HttpRequest{"DELETE", "/api/oauth2/token", {}, {}});
    ConfigFile config(ConfigFile::default_path());
    const auto guard = config.lock();
    config.load();
    if (auto found = config.profiles.find(profile_name); found != config.profiles.end()) {
        found->second.access_token.clear();
        found->second.refresh_token.clear();
        found->second.access_token_expires_at = 0;
        config.save();
    }
    std::cerr << "Signed out of " << server << ".\n";
}

} // namespace

void add_login_commands(CLI::App& app, GlobalOptions& global)
{
    auto options = std::make_shared<LoginOptions>();
    auto* login_command = app.add_subcommand("login", "Sign in to a server and keep the login (asks for the password)");
    login_command->add_option("url", options->url, "The server, https://HOST:PORT");
    login_command->add_option("--username,-u", options->username, "The user name (asked on a terminal otherwise)");
    login_command->add_flag("--password-stdin", options->password_stdin,
                            "Read the password from the first line of stdin (never give it in the arguments)");
    login_command->footer("\nExamples:\n"
                          "  jobsessions login https://backup.example.com:8443\n"
                          "  jobsessions login https://10.0.0.5:8443 --fingerprint 3F:A1:...  # a self-signed server\n"
                          "  printf '%s\\n' \"$PASSWORD\" | jobsessions login URL -u monitor --password-stdin\n"
                          "  jobsessions --profile lab login https://lab:8443   # a second server");
    login_command->callback([&global, options] { login(global, *options); });

    auto* logout_command = app.add_subcommand("logout", "Revoke the login on the server and forget it here");
    logout_command->footer("\nExamples:\n  jobsessions logout\n  jobsessions --profile lab logout");
    logout_command->callback([&global] { logout(global); });
}

} // namespace jobsessions::cli
