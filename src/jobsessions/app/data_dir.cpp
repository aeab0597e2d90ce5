// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/app/data_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>

namespace jobsessions::app {

std::string database_path(const std::string& data_dir)
{
    return data_dir + "/jobsessions.db";
}

void prepare_data_dir(const std::string& data_dir)
{
    std::error_code ec;
    if (!std::filesystem::exists(data_dir, ec)) {
        std::filesystem::create_directories(data_dir, ec);
        if (ec) {
            throw std::runtime_error("cannot create the data directory " + data_dir + ": " + ec.message());
        }
        ::chmod(data_dir.c_str(), 0700);
    }
    if (!std::filesystem::is_directory(data_dir, ec)) {
        throw std::runtime_error("the data directory " + data_dir + " is not a directory");
    }
    if (::access(data_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
        throw std::runtime_error("the data directory " + data_dir +
                                 " is not readable and writable: " + std::strerror(errno));
    }
}

std::unique_ptr<store::Store> open_store(const std::string& data_dir)
{
    auto opened = store::open_sqlite_store(store::StoreOptions{database_path(data_dir)});
    if (!opened) {
        throw std::runtime_error("cannot open the database in " + data_dir + ": " + opened.error().message);
    }
    return std::move(*opened);
}

DataDirLock::DataDirLock(const std::string& data_dir)
{
    const std::string path = data_dir + "/jobsessiond.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("another jobsessiond is already serving the data directory " + data_dir);
    }
}

DataDirLock::~DataDirLock()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

} // namespace jobsessions::app
