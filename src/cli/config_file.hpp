// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace jobsessions::cli {

/// What the CLI keeps of one server: where it is, how its certificate is trusted, and the login.
struct Profile {
    std::string server;
    /// SHA-256 of the server's certificate, "AB:CD:…"; trusted whatever signed it.
    std::string fingerprint;
    /// A PEM file of certificate authorities to verify the server with.
    std::string cacert;
    /// Not verified at all (--insecure at login).
    bool insecure = false;
    std::string username;
    std::string access_token;
    /// Seconds since the epoch.
    std::int64_t access_token_expires_at = 0;
    std::string refresh_token;
};

/// The credentials file: `$XDG_CONFIG_HOME/jobsessions/config.json` (`~/.config/…` without it; JOBSESSIONS_CONFIG
/// names another), readable by its owner alone. Written whole to a temporary file and renamed over, so a reader
/// never sees half of it; changes that depend on what is there (a token refresh) are made under lock().
class ConfigFile {
public:
    /// The file of this environment.
    static std::string default_path();

    explicit ConfigFile(std::string path);

    /// Reads the file (a missing file is an empty configuration). Throws CliError when unreadable or invalid.
    void load();
    /// Writes the file atomically, mode 0600, its directory 0700.
    void save() const;

    /// Holds an exclusive lock (a lock file beside the configuration) until the returned object goes.
    class Lock {
    public:
        explicit Lock(int fd) noexcept
            : fd_(fd)
        {
        }
        ~Lock();
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

    private:
        int fd_;
    };
    [[nodiscard]] Lock lock() const;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// The profile used when none is named.
    std::string current = "default";
    std::map<std::string, Profile> profiles;

private:
    std::string path_;
};

} // namespace jobsessions::cli
