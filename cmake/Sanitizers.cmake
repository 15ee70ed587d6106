# Sanitizer flags per preset. Every target of the build gets the same
# instrumentation, so TSan sees every synchronization of the program.
#   thread  : -fsanitize=thread -O1 -g
#   address : -fsanitize=address,undefined -fno-sanitize-recover=all
#   fuzzer  : address+undefined everywhere, plus -fsanitize=fuzzer-no-link;
#             fuzz targets link -fsanitize=fuzzer (see fuzz/CMakeLists.txt).
set(GEORACE_SANITIZER_FLAGS "")
if(GEORACE_SANITIZE STREQUAL "thread")
  set(GEORACE_SANITIZER_FLAGS -fsanitize=thread)
elseif(GEORACE_SANITIZE STREQUAL "address")
  set(GEORACE_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all)
elseif(GEORACE_SANITIZE STREQUAL "fuzzer")
  set(GEORACE_SANITIZER_FLAGS -fsanitize=address,undefined,fuzzer-no-link
                              -fno-sanitize-recover=all)
elseif(NOT GEORACE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "GEORACE_SANITIZE must be thread, address, fuzzer or empty")
endif()

if(GEORACE_SANITIZER_FLAGS)
  add_compile_options(${GEORACE_SANITIZER_FLAGS} -O1 -g -fno-omit-frame-pointer)
  add_link_options(${GEORACE_SANITIZER_FLAGS})
endif()
