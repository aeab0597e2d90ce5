// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace jobsessions::test {

/// A fresh directory under the system temp dir, removed with everything in it when this goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    /// The directory's path.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// A path inside the directory.
    [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Reads a whole file; empty when it cannot be read.
std::string read_file(const std::string& path);

} // namespace jobsessions::test
