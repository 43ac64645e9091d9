# cmake -DSOURCE_DIR=… -P public_headers.cmake
# Public headers are narrow: no Asio, Beast or Google Benchmark header in a
# header other modules can include. A module's own third-party types stay in
# its .cc files or in its internal/ folder, and nothing outside a module (but
# the tests) includes that module's internal/ headers.
# No exception: the fleet connection (harness/fleet/channel.h) takes
# callbacks or Asio completion tokens, and keeps Asio in channel.cc.
set(third_party "#include <(boost/asio|boost/beast|benchmark/)")
file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/core/*.h ${SOURCE_DIR}/workloads/*.h ${SOURCE_DIR}/harness/*.h
     ${SOURCE_DIR}/reports/*.h ${SOURCE_DIR}/agents/*.h)
set(broken "")
foreach(h IN LISTS headers)
  if(h MATCHES "/internal/")
    continue()
  endif()
  file(STRINGS ${SOURCE_DIR}/${h} lines REGEX "${third_party}")
  foreach(l IN LISTS lines)
    string(APPEND broken "  ${h}: ${l}\n")
  endforeach()
endforeach()
file(GLOB_RECURSE sources RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/core/*.h ${SOURCE_DIR}/core/*.cc ${SOURCE_DIR}/workloads/*.h
     ${SOURCE_DIR}/workloads/*.cc ${SOURCE_DIR}/workloads/*.cu ${SOURCE_DIR}/harness/*.h
     ${SOURCE_DIR}/harness/*.cc ${SOURCE_DIR}/reports/*.h ${SOURCE_DIR}/reports/*.cc
     ${SOURCE_DIR}/agents/*.h ${SOURCE_DIR}/agents/*.cc)
foreach(s IN LISTS sources)
  file(STRINGS ${SOURCE_DIR}/${s} lines REGEX "#include \"[^\"]*/internal/")
  foreach(l IN LISTS lines)
    string(REGEX REPLACE ".*#include \"([^\"]*)/internal/.*" "\\1" owner "${l}")
    if(NOT s MATCHES "^${owner}/")
      string(APPEND broken "  ${s} reaches into ${owner}/internal: ${l}\n")
    endif()
  endforeach()
endforeach()
if(broken)
  message(FATAL_ERROR "public headers must stay narrow:\n${broken}")
endif()
list(LENGTH headers n)
message(STATUS "${n} headers checked")
