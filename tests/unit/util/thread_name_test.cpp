// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/thread_name.hpp"

#include <gtest/gtest.h>

#include <pthread.h>

#include <array>
#include <string>
#include <thread>

namespace jobsessions::util {
namespace {

std::string name_of_this_thread()
{
    std::array<char, 16> name{};
    EXPECT_EQ(pthread_getname_np(pthread_self(), name.data(), name.size()), 0);
    return name.data();
}

TEST(ThreadName, OnlyTheCallingThreadIsNamedAndALongNameIsCut)
{
    const auto before = name_of_this_thread();
    std::string named;
    std::string cut;
    std::thread background([&] {
        name_this_thread("sqlite-writer");
        named = name_of_this_thread();
        name_this_thread("a-name-longer-than-fifteen-bytes");
        cut = name_of_this_thread();
    });
    background.join();
    EXPECT_EQ(named, "sqlite-writer");
    EXPECT_EQ(cut, "a-name-longer-t");
    EXPECT_EQ(name_of_this_thread(), before);
}

TEST(ThreadName, OnceNamesAThreadOnlyTheFirstTime)
{
    std::string first;
    std::string second;
    std::thread pool_thread([&] {
        name_this_thread_once("http-blocking");
        first = name_of_this_thread();
        name_this_thread_once("password-hash");
        second = name_of_this_thread();
    });
    pool_thread.join();
    EXPECT_EQ(first, "http-blocking");
    EXPECT_EQ(second, "http-blocking");
}

} // namespace
} // namespace jobsessions::util
