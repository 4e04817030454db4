# ctest: configures the source tree with the given options (the vcpkg port's), then installs it
# into a prefix, as vcpkg_cmake_configure + vcpkg_cmake_install would.
#   cmake -DSOURCE=... -DBUILD=... -DPREFIX=... -DOPTIONS="-Da=b;-Dc=d" -DGENERATOR=... -P install_with_options.cmake
file(REMOVE_RECURSE "${BUILD}" "${PREFIX}")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE}" -B "${BUILD}" -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release
                        "-DCMAKE_INSTALL_PREFIX=${PREFIX}" ${OPTIONS} RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "configure with ${OPTIONS} failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${BUILD}" RESULT_VARIABLE failed)
if(NOT failed)
  execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD}" RESULT_VARIABLE failed)
endif()
if(failed)
  message(FATAL_ERROR "build or install failed")
endif()
# Header-only: a package build compiles nothing (it once built the Python module).
file(GLOB_RECURSE _compiled "${BUILD}/*.o" "${BUILD}/*.so")
if(_compiled)
  list(GET _compiled 0 _first)
  message(FATAL_ERROR "the build with ${OPTIONS} compiled something: ${_first}")
endif()
string(REPLACE ";" " " _shown "${OPTIONS}")
message(STATUS "installed with: ${_shown}")
