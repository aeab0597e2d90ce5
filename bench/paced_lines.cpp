// SPDX-License-Identifier: Apache-2.0
// A command that writes short lines at a steady rate, for bench/run-cli: how much `jobsessions run` slows a command
// that writes 100,000 lines a second. Writes RATE lines a second for SECONDS seconds, in slices of a hundredth of
// a second, and writes to REPORT how long that took it, in milliseconds.
//
//   jobsessions-paced-lines RATE SECONDS REPORT
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: jobsessions-paced-lines RATE SECONDS REPORT\n");
        return 2;
    }
    const long rate = std::strtol(argv[1], nullptr, 10);
    const long seconds = std::strtol(argv[2], nullptr, 10);
    constexpr long kSlicesPerSecond = 100;
    const long per_slice = rate / kSlicesPerSecond;
    const auto start = std::chrono::steady_clock::now();
    long line = 0;
    std::string slice;
    for (long i = 0; i < seconds * kSlicesPerSecond; ++i) {
        slice.clear();
        for (long j = 0; j < per_slice; ++j) {
            slice += "copied /srv/data/file-" + std::to_string(++line) + ".bin\n";
        }
        std::fwrite(slice.data(), 1, slice.size(), stdout);
        std::fflush(stdout);
        // Behind schedule (a slow reader), it writes the next slice at once: the delay adds up, as it would.
        std::this_thread::sleep_until(start + std::chrono::milliseconds((i + 1) * 1000 / kSlicesPerSecond));
    }
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::FILE* report = std::fopen(argv[3], "w");
    if (report == nullptr) {
        return 1;
    }
    std::fprintf(report, "%lld\n", static_cast<long long>(took));
    std::fclose(report);
    return 0;
}
