# SPDX-License-Identifier: Apache-2.0
function(jobsessions_set_sanitizers target)
  if(JOBSESSIONS_SANITIZER STREQUAL "address")
    set(flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  elseif(JOBSESSIONS_SANITIZER STREQUAL "thread")
    # Asio's fenced blocks use atomic_thread_fence, which GCC warns ThreadSanitizer does not model (-Wtsan).
    set(flags -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  elseif(NOT JOBSESSIONS_SANITIZER STREQUAL "")
    message(FATAL_ERROR "unknown JOBSESSIONS_SANITIZER '${JOBSESSIONS_SANITIZER}'")
  endif()
  if(flags)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (std::regex, std::function) once
    # sanitizer instrumentation is on; the warning stays on in the other presets.
    # Clang 14's -fsanitize=function (in "undefined") writes prologue data that the split functions of C++20
    # coroutines cannot hold ("Cannot represent a difference across sections"); the rest of UBSan stays on.
    target_compile_options(${target} INTERFACE ${flags} $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>
                                               $<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=function>)
    target_link_options(${target} INTERFACE ${flags})
  endif()
  if(JOBSESSIONS_FUZZ)
    # Coverage for the fuzzers in everything they reach; each fuzzer links libFuzzer's main itself. Boost's
    # assertions stay on and go through util/boost_assert.cpp, which knows one that Beast 1.81 gets wrong.
    target_compile_options(${target} INTERFACE -fsanitize=fuzzer-no-link)
    target_compile_definitions(${target} INTERFACE BOOST_ENABLE_ASSERT_HANDLER)
  endif()
endfunction()
