// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/util/thread_priority.hpp"

#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>

#include <sys/resource.h>
#include <thread>

namespace jobsessions::util {
namespace {

int priority_of_this_thread()
{
    return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
}

TEST(ThreadPriority, OnlyTheCallingThreadIsLowered)
{
    const int before = priority_of_this_thread();
    const int policy_before = sched_getscheduler(0);
    std::string failed = "not run";
    int lowered = 0;
    int policy = -1;
    std::thread background([&] {
        failed = lower_this_thread_priority();
        lowered = priority_of_this_thread();
        policy = sched_getscheduler(0);
    });
    background.join();
    EXPECT_EQ(failed, "");
    EXPECT_EQ(lowered, 19);
    EXPECT_EQ(policy, SCHED_IDLE);
    EXPECT_EQ(priority_of_this_thread(), before);
    EXPECT_EQ(sched_getscheduler(0), policy_before);
}

} // namespace
} // namespace jobsessions::util
