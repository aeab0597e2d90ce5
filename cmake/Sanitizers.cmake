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
    target_compile_options(${target} INTERFACE ${flags} -Wno-maybe-uninitialized)
    target_link_options(${target} INTERFACE ${flags})
  endif()
endfunction()
