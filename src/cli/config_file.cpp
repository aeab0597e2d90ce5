// SPDX-License-Identifier: Apache-2.0
#include "cli/config_file.hpp"

#include "cli/errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>

namespace jobsessions::cli {
namespace {

std::string text_of(const boost::json::object& o, const char* name)
{
    const auto* v = o.if_contains(name);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string system_error(const std::string& what, const std::string& path)
{
    return what + " " + path + ": " + std::strerror(errno);
}

} // namespace

std::string ConfigFile::default_path()
{
    if (const char* path = std::getenv("JOBSESSIONS_CONFIG"); path != nullptr && *path != '\0') {
        return path;
    }
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
        return std::string(xdg) + "/jobsessions/config.json";
    }
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home != '/') {
        throw CliError(kError, "neither XDG_CONFIG_HOME nor HOME is set: cannot tell where to keep the login");
    }
    return std::string(home) + "/.config/jobsessions/config.json";
}

ConfigFile::ConfigFile(std::string path)
    : path_(std::move(path))
{
}

void ConfigFile::load()
{
    std::ifstream in(path_);
    if (!in) {
        if (errno == ENOENT) {
            return;
        }
        throw CliError(kError, system_error("cannot read", path_));
    }
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const auto doc = boost::json::parse(text.str(), ec);
    if (ec || !doc.is_object()) {
        throw CliError(kError, path_ + " is not a configuration of jobsessions (invalid JSON)");
    }
    const auto& root = doc.get_object();
    if (auto name = text_of(root, "profile"); !name.empty()) {
        current = name;
    }
    profiles.clear();
    if (const auto* list = root.if_contains("profiles"); list != nullptr && list->is_object()) {
        for (const auto& [name, value] : list->get_object()) {
            if (!value.is_object()) {
                continue;
            }
            const auto& p = value.get_object();
            Profile profile;
            profile.server = text_of(p, "server");
            profile.fingerprint = text_of(p, "fingerprint");
            profile.cacert = text_of(p, "cacert");
            profile.insecure = p.contains("insecure") && p.at("insecure").is_bool() && p.at("insecure").get_bool();
            profile.username = text_of(p, "username");
            profile.access_token = text_of(p, "accessToken");
            if (const auto* at = p.if_contains("accessTokenExpiresAt"); at != nullptr && at->is_int64()) {
                profile.access_token_expires_at = at->get_int64();
            }
            profile.refresh_token = text_of(p, "refreshToken");
            profiles.emplace(std::string(name), std::move(profile));
        }
    }
}

void ConfigFile::save() const
{
    boost::json::object list;
    for (const auto& [name, p] : profiles) {
        boost::json::object o;
        o["server"] = p.server;
        if (!p.fingerprint.empty()) {
            o["fingerprint"] = p.fingerprint;
        }
        if (!p.cacert.empty()) {
            o["cacert"] = p.cacert;
        }
        if (p.insecure) {
            o["insecure"] = true;
        }
        o["username"] = p.username;
        o["accessToken"] = p.access_token;
        o["accessTokenExpiresAt"] = p.access_token_expires_at;
        o["refreshToken"] = p.refresh_token;
        list[name] = std::move(o);
    }
    boost::json::object root;
    root["profile"] = current;
    root["profiles"] = std::move(list);
    const std::string text = boost::json::serialize(root) + "\n";

    const std::filesystem::path path(path_);
    std::error_code fs_error;
    std::filesystem::create_directories(path.parent_path(), fs_error);
    ::chmod(path.parent_path().c_str(), 0700);
    // Written beside the file and renamed over it: a reader sees the old file or the new one, never half.
    const std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        throw CliError(kError, system_error("cannot write", temporary));
    }
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), path_.c_str()) != 0) {
        const auto message = system_error("cannot write", path_);
        ::unlink(temporary.c_str());
        throw CliError(kError, message);
    }
}

ConfigFile::Lock::~Lock()
{
    if (fd_ >= 0) {
        ::close(fd_); // closing releases the lock
    }
}

ConfigFile::Lock ConfigFile::lock() const
{
    const std::filesystem::path path(path_);
    std::error_code fs_error;
    std::filesystem::create_directories(path.parent_path(), fs_error);
    ::chmod(path.parent_path().c_str(), 0700);
    const std::string lock_path = path_ + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        throw CliError(kError, system_error("cannot open", lock_path));
    }
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ::close(fd);
            throw CliError(kError, system_error("cannot lock", lock_path));
        }
    }
    return Lock(fd);
}

} // namespace jobsessions::cli
