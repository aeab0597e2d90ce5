// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/user_command.hpp"

#include "jobsessions/app/data_dir.hpp"
#include "jobsessions/auth/password.hpp"
#include "jobsessions/util/time.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>

namespace jobsessions::app {
namespace {

constexpr std::size_t kMinPasswordLength = 8;

std::string read_line_no_echo(const char* prompt)
{
    std::fputs(prompt, stderr);
    termios saved{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

store::Result<domain::User> find(store::Store& store, const std::string& name)
{
    return store.find_user(name);
}

int fail(const std::string& message)
{
    std::cerr << "jobsessiond: " << message << '\n';
    return 1;
}

} // namespace

std::string read_password(bool confirm)
{
    const bool tty = ::isatty(STDIN_FILENO) != 0;
    std::string password = tty ? read_line_no_echo("Password: ") : std::string();
    if (!tty) {
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') {
            password.pop_back();
        }
    }
    if (tty && confirm && read_line_no_echo("Repeat the password: ") != password) {
        throw std::runtime_error("the two passwords differ");
    }
    return password;
}

void check_password_strength(const std::string& password)
{
    if (password.size() < kMinPasswordLength) {
        throw std::invalid_argument("a password needs at least " + std::to_string(kMinPasswordLength) + " characters");
    }
}

int run_user_command(const ParsedCommandLine& command)
{
    const auto& args = command.user_args;
    if (args.empty()) {
        return fail("user needs a command: add, passwd, list, enable, disable or remove (see --help)");
    }
    const std::string& verb = args[0];
    const bool needs_name = verb != "list";
    if (needs_name && args.size() != 2) {
        return fail("user " + verb + " needs exactly one user name");
    }
    if (!needs_name && args.size() != 1) {
        return fail("user list takes no user name");
    }
    if (verb != "add" && command.role) {
        return fail("--role goes with user add only");
    }
    try {
        auth::init_crypto();
        ::umask(077); // the database holds password hashes and the token signing key
        // A user command works on a server's data directory (a mistyped path is an error, not a new store), or on
        // its PostgreSQL database.
        const DataDirOptions dir_options{false, command.config.allow_unsafe_permissions};
        std::unique_ptr<store::Store> store;
        if (command.config.database.empty()) {
            prepare_data_dir(command.config.data_dir, dir_options);
            store = open_store(command.config.data_dir, dir_options);
        } else {
            store = open_database(command.config.database, 2);
        }
        if (verb == "list") {
            auto users = store->list_users();
            if (!users) {
                return fail(users.error().message);
            }
            for (const auto& u : *users) {
                std::cout << u.name << '\t' << domain::to_string(u.role) << '\t'
                          << (u.disabled ? "disabled" : "enabled") << '\n';
            }
            return 0;
        }
        const std::string& name = args[1];
        if (verb == "add") {
            if (name.empty() || name.size() > 128) {
                return fail("a user name needs 1 to 128 characters");
            }
            auto role = domain::Role::Viewer;
            if (command.role) {
                const auto parsed = domain::parse_role(*command.role);
                if (!parsed) {
                    return fail("unknown role '" + *command.role +
                                "'; use Viewer, Operator, Agent, Administrator or Monitor");
                }
                role = *parsed;
            }
            if (find(*store, name)) {
                return fail("the user " + name + " already exists");
            }
            const auto password = read_password(true);
            check_password_strength(password);
            domain::User user;
            user.name = name;
            user.role = role;
            user.password_hash = auth::hash_password(password);
            user.created_at = util::now_micros();
            auto created = store->create_user(user);
            if (!created) {
                return fail(created.error().code == store::StoreErrc::Conflict ? "the user " + name + " already exists"
                                                                               : created.error().message);
            }
            std::cout << "added " << name << " (" << domain::to_string(role) << ")\n";
            return 0;
        }
        auto user = find(*store, name);
        if (!user) {
            return fail(user.error().code == store::StoreErrc::NotFound ? "no user " + name : user.error().message);
        }
        if (verb == "remove") {
            if (auto r = store->remove_user(user->id); !r) {
                return fail(r.error().message);
            }
            std::cout << "removed " << name << '\n';
            return 0;
        }
        if (verb == "passwd") {
            const auto password = read_password(true);
            check_password_strength(password);
            user->password_hash = auth::hash_password(password);
        } else if (verb == "disable" || verb == "enable") {
            user->disabled = verb == "disable";
        } else {
            return fail("unknown user command '" + verb + "'; use add, passwd, list, enable, disable or remove");
        }
        if (auto r = store->update_user(*user); !r) {
            return fail(r.error().message);
        }
        // A new password or a disabled account ends every login: refresh tokens stop working at once, and
        // access tokens of a disabled user within seconds.
        if (verb != "enable") {
            if (auto r = store->revoke_user_logins(user->id); !r) {
                return fail(r.error().message);
            }
        }
        std::cout << (verb == "passwd" ? "changed the password of " : verb + "d ") << name << '\n';
        return 0;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

} // namespace jobsessions::app
