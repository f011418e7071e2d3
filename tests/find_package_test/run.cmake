# Installs the build tree into a scratch prefix, builds the consumer project against it with
# find_package and runs it; then builds the same consumer with pkg-config alone (the
# installed auditlog.pc) and runs that. Invoked by CTest with -DAUDITLOG_BINARY_DIR,
# -DCONSUMER_SOURCE_DIR, -DWORK_DIR, -DCXX (the C++ compiler).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${AUDITLOG_BINARY_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer ${WORK_DIR}/log)

# pkg-config: the flags come from the installed auditlog.pc (and, for the static library's
# dependencies, their own .pc files).
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB pc_file ${prefix}/lib*/pkgconfig/auditlog.pc ${prefix}/lib/*/pkgconfig/auditlog.pc)
if(NOT pc_file)
  message(FATAL_ERROR "auditlog.pc was not installed under ${prefix}")
endif()
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs --static auditlog
                OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs --static auditlog failed (${rc})")
endif()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run(${CXX} -std=c++20 ${CONSUMER_SOURCE_DIR}/main.cc -o ${WORK_DIR}/pc_consumer ${pc_flags})
# When the shared library is installed too, -lauditlog links it: the program then finds it
# in the scratch prefix's libdir.
get_filename_component(lib_dir ${pc_dir} DIRECTORY)
set(ENV{LD_LIBRARY_PATH} ${lib_dir})
run(${WORK_DIR}/pc_consumer ${WORK_DIR}/pc_log)
