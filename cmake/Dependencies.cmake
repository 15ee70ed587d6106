# Every dependency comes from Debian packages, found through pkg-config.
# Required: libmaxminddb, CUnit, libevent (+pthreads), jansson.
# Optional peers for benchmarks: liburcu-cds, Concurrency Kit.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(MAXMINDDB REQUIRED IMPORTED_TARGET libmaxminddb)
pkg_check_modules(CUNIT REQUIRED IMPORTED_TARGET cunit)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core libevent_extra libevent_pthreads)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

pkg_check_modules(URCU IMPORTED_TARGET liburcu-cds liburcu)
pkg_check_modules(CK IMPORTED_TARGET ck)
if(NOT URCU_FOUND)
  message(STATUS "liburcu-cds not found: the rculfhash peer is left out of 'bench cache'")
endif()
if(NOT CK_FOUND)
  message(STATUS "Concurrency Kit not found: the ck_ht peer is left out of 'bench cache'")
endif()

find_program(MMDBLOOKUP mmdblookup)
find_program(GNUPLOT gnuplot)
