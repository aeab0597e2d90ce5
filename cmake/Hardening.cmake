# SPDX-License-Identifier: Apache-2.0
option(JOBSESSIONS_HARDENING "Compile with hardening flags" OFF)
function(jobsessions_set_hardening target)
  if(JOBSESSIONS_HARDENING)
    # -U first: Debian's compiler may already define a lower fortify level.
    target_compile_options(${target} INTERFACE -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -D_GLIBCXX_ASSERTIONS
                                               -fstack-protector-strong -fcf-protection
                                               -fstack-clash-protection)
    target_link_options(${target} INTERFACE -Wl,-z,relro,-z,now)
  endif()
endfunction()
