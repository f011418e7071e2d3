# Checks libauditlog.so: its soname is versioned, its dynamic symbol table holds the API and
# none of the implementation (auditlog::internal, simdjson, nlohmann, zstd), and a program
# linked against it writes and verifies a log.
# The API is what the static library defines outside auditlog::internal (strong symbols):
# each of those must be exported, so a missing AUDITLOG_EXPORT fails here, not in a user's link.
# Usage: cmake -DLIBRARY=path/libauditlog.so.X.Y.Z -DSTATIC_LIBRARY=path/libauditlog.a
#              -DSONAME=libauditlog.so.N -DCONSUMER=exe -DWORK_DIR=dir -P check.cmake
foreach(var LIBRARY STATIC_LIBRARY SONAME CONSUMER WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: ${var} is not set")
  endif()
endforeach()
find_program(READELF readelf REQUIRED)
find_program(NM nm REQUIRED)

execute_process(COMMAND ${READELF} -d ${LIBRARY} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT dynamic MATCHES "Library soname: \\[${SONAME}\\]")
  message(FATAL_ERROR "${LIBRARY}: soname is not ${SONAME}:\n${dynamic}")
endif()

execute_process(COMMAND ${NM} -D -C --defined-only ${LIBRARY}
                OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -D ${LIBRARY} failed (${rc})")
endif()
foreach(required "auditlog::Logger::Open" "auditlog::Verify" "auditlog::QueryCursor::Open"
                 "auditlog::Env::Default")
  string(FIND "${symbols}" "${required}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${LIBRARY} does not export ${required}")
  endif()
endforeach()
string(REGEX MATCHALL "[^\n]*(auditlog::internal::|simdjson|nlohmann|ZSTD_)[^\n]*" leaked
       "${symbols}")
if(leaked)
  list(LENGTH leaked count)
  list(SUBLIST leaked 0 20 some)
  list(JOIN some "\n" some)
  message(FATAL_ERROR "${LIBRARY} exports ${count} implementation symbols, e.g.:\n${some}")
endif()

# Every strong symbol of namespace auditlog (not internal, not an implementation's Impl, not
# in an anonymous namespace) that the static library defines is exported.
execute_process(COMMAND ${NM} -C --defined-only ${STATIC_LIBRARY}
                OUTPUT_VARIABLE static_symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm ${STATIC_LIBRARY} failed (${rc})")
endif()
string(REGEX MATCHALL "\n[0-9a-f]+ [TDBR] auditlog::[^\n]*" api "${static_symbols}")
set(missing "")
set(api_count 0)
foreach(line IN LISTS api)
  string(REGEX REPLACE "^\n[0-9a-f]+ [TDBR] " "" name "${line}")
  if(name MATCHES "auditlog::internal::|\(anonymous namespace\)|::Impl[:(]")
    continue()
  endif()
  math(EXPR api_count "${api_count} + 1")
  string(FIND "${symbols}" " ${name}\n" at)
  if(at EQUAL -1)
    list(APPEND missing "${name}")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n" missing)
  message(FATAL_ERROR "defined by the library but not exported (AUDITLOG_EXPORT missing):\n${missing}")
endif()
if(api_count LESS 20)
  message(FATAL_ERROR "found only ${api_count} API symbols in ${STATIC_LIBRARY}")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CONSUMER} ${WORK_DIR}/log RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CONSUMER} (linked against ${LIBRARY}) failed: ${rc}")
endif()
string(REGEX MATCHALL "\n[0-9a-f]+ [TtWwVvBbDdRr] " lines "${symbols}")
list(LENGTH lines exported)
message(STATUS "${LIBRARY}: soname ${SONAME}, ${exported} exported symbols, none internal")
