# georace_add_test(NAME <name> LABELS <labels...> COMMAND <cmd...> [TIMEOUT s] [ENV k=v...])
# One place that registers a ctest with its label, timeout and environment.
function(georace_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;WORKING_DIRECTORY" "LABELS;COMMAND;ENV" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_WORKING_DIRECTORY)
    set(T_WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND} WORKING_DIRECTORY ${T_WORKING_DIRECTORY})
  set(env "GEORACE_SOURCE_DIR=${PROJECT_SOURCE_DIR}" "GEORACE_BINARY_DIR=${PROJECT_BINARY_DIR}"
          "TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1"
          "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
          "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" ${T_ENV})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                                            ENVIRONMENT "${env}")
endfunction()

# georace_add_cunit_test(<name> LABELS <labels> SOURCES <files...> [LIBS <libs...>])
# A CUnit test binary: it is linked with the tree's one runner (georace_test,
# testing/include/gr_test.h), which fails the test unless every registered
# test ran and passed.
function(georace_add_cunit_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "LABELS;SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} georace_test)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  georace_add_test(NAME ${name} LABELS ${T_LABELS} COMMAND ${name} TIMEOUT ${T_TIMEOUT})
endfunction()

# The runner library and its self-test (they use the functions above).
add_subdirectory(${PROJECT_SOURCE_DIR}/testing ${PROJECT_BINARY_DIR}/testing)
