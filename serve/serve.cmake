# `pixlime serve` (serve/src), part of the pixlime command: included by cli/CMakeLists.txt after
# pixlime_cli is defined. Needs cpp-httplib and SQLite (Debian: libcpp-httplib-dev,
# libsqlite3-dev); without them the command is built without `serve` and says so.
find_package(SQLite3 QUIET)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PIXLIME_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
endif()
if(NOT SQLite3_FOUND OR NOT PIXLIME_HTTPLIB_FOUND)
  message(STATUS "pixlime: pixlime serve skipped: it needs cpp-httplib and SQLite (Debian: libcpp-httplib-dev libsqlite3-dev)")
  set(PIXLIME_SERVE OFF)
  return()
endif()
set(PIXLIME_SERVE ON)

set(_serve_dir "${PROJECT_SOURCE_DIR}/serve")
set(_web_files "${_serve_dir}/web/index.html" "${_serve_dir}/web/app.js" "${_serve_dir}/web/style.css")
set(_web_cpp "${CMAKE_CURRENT_BINARY_DIR}/serve_web_assets.cpp")
add_custom_command(OUTPUT "${_web_cpp}"
                   COMMAND ${CMAKE_COMMAND} -DWEB=${_serve_dir}/web -DOUT=${_web_cpp} -P ${_serve_dir}/embed.cmake
                   DEPENDS ${_web_files} "${_serve_dir}/embed.cmake"
                   COMMENT "pixlime serve: building the dashboard's files into the binary")
target_sources(pixlime_cli PRIVATE
  ${_serve_dir}/src/auth.cpp ${_serve_dir}/src/command.cpp ${_serve_dir}/src/db.cpp ${_serve_dir}/src/http.cpp
  ${_serve_dir}/src/model.cpp ${_serve_dir}/src/sha256.cpp ${_serve_dir}/src/store.cpp ${_serve_dir}/src/worker.cpp
  "${_web_cpp}")
target_include_directories(pixlime_cli PRIVATE ${_serve_dir}/src)
target_compile_definitions(pixlime_cli PRIVATE PIXLIME_WITH_SERVE=1)
target_link_libraries(pixlime_cli PRIVATE SQLite::SQLite3 PkgConfig::PIXLIME_HTTPLIB Threads::Threads)
message(STATUS "pixlime: pixlime serve (cpp-httplib ${PIXLIME_HTTPLIB_VERSION}, SQLite ${SQLite3_VERSION})")

if(PIXLIME_BUILD_TESTS AND PIXLIME_PYTHON3)
  # serve/tests: a real server on 127.0.0.1 over a real SQLite file, the test CNN built with torch
  # at test time (skipped without python3-torch); the dashboard in headless Chromium.
  foreach(_t serve dashboard)
    set(_file "${_serve_dir}/tests/test_${_t}.py")
    set(_name "serve_${_t}")
    if(_t STREQUAL "serve")
      set(_name "serve")
    endif()
    add_test(NAME ${_name} COMMAND ${PIXLIME_PYTHON3} -m pytest -q -rs -p no:cacheprovider "${_file}"
             WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    set_tests_properties(${_name} PROPERTIES
                         ENVIRONMENT "PIXLIME_CLI=$<TARGET_FILE:pixlime_cli>;PIXLIME_SOURCE=${PROJECT_SOURCE_DIR};PYTHONDONTWRITEBYTECODE=1;ASAN_OPTIONS=detect_leaks=0"
                         TIMEOUT 1200 SKIP_RETURN_CODE 5)
  endforeach()
endif()
