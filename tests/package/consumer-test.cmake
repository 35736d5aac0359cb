# Builds and runs a program that uses otpp the way one kind of user gets it.
#
#   cmake -DKIND=<kind> -DOTPP_SOURCE_DIR=... -DOTPP_BINARY_DIR=... -DOTPP_VERSION=... \
#         [-DCMAKE_GENERATOR=...] [-DCMAKE_CXX_COMPILER=...] [-DCMAKE_BUILD_TYPE=...] \
#         [-DCMAKE_CXX_FLAGS=...] [-DCMAKE_EXE_LINKER_FLAGS=...] \
#         [-DOTPP_FMT_HEADER_ONLY=ON|OFF] -P consumer-test.cmake
#
# Kinds:
#   find-package      install OTPP_BINARY_DIR into a prefix; find_package(otpp)
#   add-subdirectory  add_subdirectory of the source tree
#   fetch-content     FetchContent of a source archive (CMakeLists.txt, LICENSE,
#                     cmake/, include/: what a release tarball holds)
#   pkg-config        install, move the prefix, compile with
#                     `pkg-config --cflags --libs otpp` and no CMake at all
#   vcpkg             configure and install the source tree with the options
#                     of packaging/vcpkg/ports/otpp/portfile.cmake into a
#                     staged package, as vcpkg does, then build the CMake
#                     lines of the port's `usage` against it
#   conan             the same with the variables of packaging/conan/
#                     conanfile.py, then build its test_package against the
#                     package's own CMake files, as Conan's toolchain finds them
#
# Every kind builds and runs packaging/conan/test_package/test_package.cpp: a
# gen_server called once, printing otpp's version.

cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS KIND OTPP_SOURCE_DIR OTPP_BINARY_DIR OTPP_VERSION)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "consumer-test.cmake: ${_var} is not set")
  endif()
endforeach()

set(_work "${OTPP_BINARY_DIR}/package-tests/${KIND}")
set(_program "${OTPP_SOURCE_DIR}/packaging/conan/test_package/test_package.cpp")
set(_port "${OTPP_SOURCE_DIR}/packaging/vcpkg/ports/otpp")
set(_recipe "${OTPP_SOURCE_DIR}/packaging/conan")

function(run)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "Running: ${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "Failed (${_rc}): ${_shown}")
  endif()
endfunction()

# Runs a command and returns its standard output, stripped, in `out`.
function(run_output out)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "Running: ${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "Failed (${_rc}): ${_shown}")
  endif()
  set(${out} "${_out}" PARENT_SCOPE)
endfunction()

function(require_file path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "consumer-test.cmake (${KIND}): ${path} is missing")
  endif()
endfunction()

# The user's compiler and flags, for every configure below.
set(_user_args)
if(CMAKE_GENERATOR)
  list(APPEND _user_args -G "${CMAKE_GENERATOR}")
endif()
foreach(_var IN ITEMS CMAKE_CXX_COMPILER CMAKE_BUILD_TYPE CMAKE_CXX_FLAGS CMAKE_EXE_LINKER_FLAGS
                      OTPP_FMT_HEADER_ONLY)
  if(DEFINED ${_var})
    list(APPEND _user_args "-D${_var}=${${_var}}")
  endif()
endforeach()
# Only what a test puts on CMAKE_PREFIX_PATH may be found, never a copy of
# otpp registered elsewhere.
list(APPEND _user_args -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

# Configures, builds and runs a consumer project whose executable is `name`.
function(build_and_run source build name)
  run("${CMAKE_COMMAND}" -S "${source}" -B "${build}" ${_user_args} ${ARGN})
  run("${CMAKE_COMMAND}" --build "${build}")
  run_output(_said "${build}/${name}")
  message(STATUS "${name}: ${_said}")
  if(NOT _said MATCHES "^otpp ${OTPP_VERSION}: counter says 2$")
    message(FATAL_ERROR "consumer-test.cmake (${KIND}): unexpected output: ${_said}")
  endif()
endfunction()

# Configures and installs otpp's source tree with `options` into `prefix`.
function(install_from_source build prefix)
  run("${CMAKE_COMMAND}" -S "${OTPP_SOURCE_DIR}" -B "${build}" ${_user_args}
      "-DCMAKE_INSTALL_PREFIX=${prefix}" ${ARGN})
  run("${CMAKE_COMMAND}" --build "${build}")
  run("${CMAKE_COMMAND}" --install "${build}")
endfunction()

file(REMOVE_RECURSE "${_work}")
file(MAKE_DIRECTORY "${_work}")

if(KIND STREQUAL "find-package" OR KIND STREQUAL "pkg-config")
  set(_prefix "${_work}/prefix")
  set(_install "${CMAKE_COMMAND}" --install "${OTPP_BINARY_DIR}" --prefix "${_prefix}")
  if(CMAKE_BUILD_TYPE)
    list(APPEND _install --config "${CMAKE_BUILD_TYPE}")
  endif()
  run(${_install})
endif()

if(KIND STREQUAL "find-package")
  build_and_run("${OTPP_SOURCE_DIR}/tests/package/find-package-test" "${_work}/build" consumer
                "-DCMAKE_PREFIX_PATH=${_prefix}")

elseif(KIND STREQUAL "add-subdirectory")
  build_and_run("${OTPP_SOURCE_DIR}/tests/package/add-subdirectory-test" "${_work}/build" consumer)

elseif(KIND STREQUAL "fetch-content")
  set(_archive "${_work}/otpp-${OTPP_VERSION}.tar.gz")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E tar czf "${_archive}" -- CMakeLists.txt LICENSE cmake include
    WORKING_DIRECTORY "${OTPP_SOURCE_DIR}"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "consumer-test.cmake (${KIND}): could not archive the sources")
  endif()
  build_and_run("${OTPP_SOURCE_DIR}/tests/package/fetch-content-test" "${_work}/build" consumer
                "-DOTPP_ARCHIVE=${_archive}")

elseif(KIND STREQUAL "pkg-config")
  # A moved prefix proves that otpp.pc finds its files from where it is.
  file(RENAME "${_prefix}" "${_work}/moved")
  set(_pc_env "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${_work}/moved/share/pkgconfig")
  run_output(_version ${_pc_env} pkg-config --modversion otpp)
  if(NOT _version STREQUAL OTPP_VERSION)
    message(FATAL_ERROR "pkg-config --modversion otpp says ${_version}, not ${OTPP_VERSION}")
  endif()
  run_output(_flags ${_pc_env} pkg-config --cflags --libs otpp)
  if(NOT _flags MATCHES "-I${_work}/moved/share/pkgconfig/\\.\\./\\.\\./include")
    message(FATAL_ERROR "pkg-config --cflags otpp does not name the moved prefix: ${_flags}")
  endif()
  separate_arguments(_flags UNIX_COMMAND "${_flags}")
  separate_arguments(_cxx_flags UNIX_COMMAND "${CMAKE_CXX_FLAGS}")
  separate_arguments(_ld_flags UNIX_COMMAND "${CMAKE_EXE_LINKER_FLAGS}")
  set(_compiler "${CMAKE_CXX_COMPILER}")
  if(NOT _compiler)
    set(_compiler c++)
  endif()
  run("${_compiler}" -std=c++20 ${_cxx_flags} "${_program}" ${_flags} ${_ld_flags}
      -o "${_work}/consumer")
  run_output(_said "${_work}/consumer")
  if(NOT _said MATCHES "^otpp ${OTPP_VERSION}: counter says 2$")
    message(FATAL_ERROR "consumer-test.cmake (${KIND}): unexpected output: ${_said}")
  endif()

elseif(KIND STREQUAL "vcpkg")
  # vcpkg.json must spell the version out; it and CHANGELOG.md must agree
  # with include/otpp/config.hpp.
  file(READ "${_port}/vcpkg.json" _manifest)
  string(JSON _port_version GET "${_manifest}" version-semver)
  if(NOT _port_version STREQUAL OTPP_VERSION)
    message(FATAL_ERROR "vcpkg.json says ${_port_version}; include/otpp/config.hpp says ${OTPP_VERSION}")
  endif()
  file(STRINGS "${OTPP_SOURCE_DIR}/CHANGELOG.md" _release REGEX "^## \\[${OTPP_VERSION}\\] - ")
  if(NOT _release)
    message(FATAL_ERROR "CHANGELOG.md has no section ## [${OTPP_VERSION}] - <date>")
  endif()
  # The portfile's options: its lines that hold one -DOTPP_...=value.
  file(STRINGS "${_port}/portfile.cmake" _options REGEX "^ +-DOTPP_[A-Z_]+=[^ ]+$")
  list(TRANSFORM _options STRIP)
  if(NOT _options)
    message(FATAL_ERROR "consumer-test.cmake: no -DOTPP_ options found in ${_port}/portfile.cmake")
  endif()
  # vcpkg installs a port into packages/<port>_<triplet>, then that into
  # installed/<triplet>, which its toolchain puts on CMAKE_PREFIX_PATH.
  set(_staged "${_work}/installed/x64-linux")
  install_from_source("${_work}/port-build" "${_staged}" -DCMAKE_BUILD_TYPE=Release ${_options})
  require_file("${_staged}/share/otpp/otppConfig.cmake")
  require_file("${_staged}/share/pkgconfig/otpp.pc")
  require_file("${_staged}/include/otpp/otpp.hpp")
  # The usage file's indented lines are the CMake a user writes.
  file(STRINGS "${_port}/usage" _usage REGEX "^  ")
  list(TRANSFORM _usage STRIP)
  string(REPLACE ";" "\n" _usage "${_usage}")
  set(_usage_project "${_work}/usage")
  file(WRITE "${_usage_project}/CMakeLists.txt"
       "cmake_minimum_required(VERSION 3.21)\n"
       "project(otpp-vcpkg-usage LANGUAGES CXX)\n"
       "add_executable(main \"${_program}\")\n"
       "${_usage}\n")
  build_and_run("${_usage_project}" "${_work}/usage-build" main "-DCMAKE_PREFIX_PATH=${_staged}")

elseif(KIND STREQUAL "conan")
  # The recipe's CMake variables: its lines tc.cache_variables["OTPP_..."] = True|False.
  file(STRINGS "${_recipe}/conanfile.py" _lines
       REGEX "^ +tc\\.cache_variables\\[\"OTPP_[A-Z_]+\"\\] = (True|False)$")
  set(_options)
  foreach(_line IN LISTS _lines)
    string(REGEX MATCH "\"(OTPP_[A-Z_]+)\"\\] = (True|False)" _ "${_line}")
    if(CMAKE_MATCH_2 STREQUAL "True")
      list(APPEND _options "-D${CMAKE_MATCH_1}=ON")
    else()
      list(APPEND _options "-D${CMAKE_MATCH_1}=OFF")
    endif()
  endforeach()
  if(NOT _options)
    message(FATAL_ERROR "consumer-test.cmake: no OTPP_ variables found in ${_recipe}/conanfile.py")
  endif()
  set(_package "${_work}/package")
  install_from_source("${_work}/recipe-build" "${_package}" ${_options})
  # package_info's builddirs, which Conan's CMakeToolchain puts on
  # CMAKE_PREFIX_PATH; cmake_find_mode "none" leaves otpp's own files to it.
  file(STRINGS "${_recipe}/conanfile.py" _builddirs REGEX "self\\.cpp_info\\.builddirs = ")
  string(REGEX MATCH "os\\.path\\.join\\(([^)]*)\\)" _ "${_builddirs}")
  string(REGEX REPLACE "[\" ]" "" _builddir "${CMAKE_MATCH_1}")
  string(REPLACE "," "/" _builddir "${_builddir}")
  require_file("${_package}/${_builddir}/otppConfig.cmake")
  build_and_run("${_recipe}/test_package" "${_work}/test_package-build" test_package
                "-DCMAKE_PREFIX_PATH=${_package}/${_builddir}")

else()
  message(FATAL_ERROR "consumer-test.cmake: unknown KIND ${KIND}")
endif()
