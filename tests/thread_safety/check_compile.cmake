# Compiles SOURCE with Clang's thread-safety analysis as an error (-fsyntax-only) and checks
# the outcome. EXPECT=reject: passes only when the compile fails with a "requires holding
# mutex" error (the analysis is on and -Werror=thread-safety works). EXPECT=accept: passes
# only when it compiles without any diagnostic.
# Usage: cmake -DCOMPILER=... -DSOURCE=... -DINCLUDE_DIR=... -DEXPECT=reject|accept
#              [-DDEFINE=NAME] -P check_compile.cmake
foreach(var COMPILER SOURCE INCLUDE_DIR EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_compile.cmake: ${var} is not set")
  endif()
endforeach()
set(args -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wthread-safety
         -Werror=thread-safety -I${INCLUDE_DIR})
if(DEFINED DEFINE)
  list(APPEND args -D${DEFINE})
endif()
execute_process(COMMAND ${COMPILER} ${args} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
list(JOIN args " " args_text)
set(log "${COMPILER} ${args_text} ${SOURCE}\nexit: ${rc}\n${out}${err}")
if(EXPECT STREQUAL "reject")
  if(rc EQUAL 0)
    message(FATAL_ERROR "compiled, but the unguarded access must be rejected:\n${log}")
  endif()
  if(NOT err MATCHES "error: [^\n]*requires holding mutex")
    message(FATAL_ERROR "failed, but not with a thread-safety error:\n${log}")
  endif()
elseif(EXPECT STREQUAL "accept")
  if(NOT rc EQUAL 0 OR err MATCHES "(warning|error):")
    message(FATAL_ERROR "the correct version must compile without diagnostics:\n${log}")
  endif()
else()
  message(FATAL_ERROR "check_compile.cmake: EXPECT must be reject or accept, not ${EXPECT}")
endif()
message(STATUS "as expected (${EXPECT}):\n${log}")
