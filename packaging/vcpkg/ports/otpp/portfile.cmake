# otpp is header-only: one configure and install, no debug build.
set(VCPKG_BUILD_TYPE release)

# This port lives in otpp's own repository and builds the checkout it sits in
# (vcpkg install otpp --overlay-ports=<otpp>/packaging/vcpkg/ports). In a
# registry, this line becomes vcpkg_from_github(... REF "v${VERSION}" ...).
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)

# tests/package/packaging-test.cmake runs these same options: keep them on
# lines of their own, one -DOTPP_... each.
vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DOTPP_BUILD_TESTS=OFF
        -DOTPP_BUILD_EXAMPLES=OFF
        -DOTPP_BUILD_BENCHMARKS=OFF
        -DOTPP_INSTALL_CMAKEDIR=share/otpp
        -DOTPP_INSTALL_PKGCONFIGDIR=share/pkgconfig
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/otpp)
vcpkg_fixup_pkgconfig()

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
