# SPDX-License-Identifier: Apache-2.0
function(jobsessions_set_warnings target)
  target_compile_options(${target} INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                             -Wold-style-cast -Wcast-align -Woverloaded-virtual
                                             -Wimplicit-fallthrough)
  if(JOBSESSIONS_WERROR)
    target_compile_options(${target} INTERFACE -Werror)
  endif()
endfunction()
