# vcpkg port of pixlime (header-only). The configure options below are also what pixlime's own
# test suite configures and installs with (tests/consumers: consumer_vcpkg_port_install), so
# that part of this port is tested even where vcpkg cannot run.
set(VCPKG_BUILD_TYPE release)  # header-only

vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO pixlime/pixlime
    REF "v${VERSION}"
    # The release tarball's hash: vcpkg prints it on the first install of a new version.
    SHA512 0
    HEAD_REF main
)

# vcpkg's stb is headers only: no stb library is linked (users compile it in one .cpp, see usage).
vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DPIXLIME_BUILD_TESTS=OFF
        -DPIXLIME_BUILD_EXAMPLES=OFF
        -DPIXLIME_BUILD_BENCHMARKS=OFF
        -DPIXLIME_PYTHON=OFF
        -DPIXLIME_INSTALL=ON
        -DPIXLIME_STB_LIBRARY=PIXLIME_STB_LIBRARY-NOTFOUND
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/pixlime)
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib" "${CURRENT_PACKAGES_DIR}/debug")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
