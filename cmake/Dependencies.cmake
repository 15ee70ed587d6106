# Every dependency comes from Debian packages, found through pkg-config
# (http-parser ships no .pc file: found by header and library).
# Required: libmaxminddb, CUnit, libevent, libuv, http-parser, jansson.
# Optional peers for benchmarks: liburcu-cds, Concurrency Kit.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(MAXMINDDB REQUIRED IMPORTED_TARGET libmaxminddb)
pkg_check_modules(CUNIT REQUIRED IMPORTED_TARGET cunit)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core libevent_extra libevent_pthreads)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)

find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h)
find_library(HTTP_PARSER_LIBRARY http_parser)
if(NOT HTTP_PARSER_INCLUDE_DIR OR NOT HTTP_PARSER_LIBRARY)
  message(FATAL_ERROR "http-parser not found (Debian: libhttp-parser-dev; ci/setup.sh installs it)")
endif()
add_library(georace::http_parser UNKNOWN IMPORTED)
set_target_properties(georace::http_parser PROPERTIES
  IMPORTED_LOCATION "${HTTP_PARSER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${HTTP_PARSER_INCLUDE_DIR}")

pkg_check_modules(URCU IMPORTED_TARGET liburcu-cds liburcu-qsbr)
pkg_check_modules(CK IMPORTED_TARGET ck)
if(NOT URCU_FOUND)
  message(STATUS "liburcu-cds not found: the rculfhash peer is left out of 'bench cache'")
endif()
if(NOT CK_FOUND)
  message(STATUS "Concurrency Kit not found: the ck_ht peer is left out of 'bench cache'")
endif()

find_program(MMDBLOOKUP mmdblookup)
find_program(GNUPLOT gnuplot)
