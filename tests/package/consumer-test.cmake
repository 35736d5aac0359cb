# Configures, builds and runs one consumer project in tests/package/.
#
#   cmake -DKIND=find-package|add-subdirectory -DOTPP_SOURCE_DIR=... \
#         -DOTPP_BINARY_DIR=... [-DCMAKE_GENERATOR=...] [-DCMAKE_CXX_COMPILER=...] \
#         [-DCMAKE_BUILD_TYPE=...] [-DCMAKE_CXX_FLAGS=...] \
#         [-DCMAKE_EXE_LINKER_FLAGS=...] -P consumer-test.cmake
#
# For find-package, otpp is first installed from OTPP_BINARY_DIR into a prefix
# inside it, and the consumer finds it there through CMAKE_PREFIX_PATH.

cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS KIND OTPP_SOURCE_DIR OTPP_BINARY_DIR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "consumer-test.cmake: ${_var} is not set")
  endif()
endforeach()

set(_source "${OTPP_SOURCE_DIR}/tests/package/${KIND}-test")
set(_work "${OTPP_BINARY_DIR}/package-tests/${KIND}")
set(_prefix "${OTPP_BINARY_DIR}/package-tests/prefix")
if(NOT IS_DIRECTORY "${_source}")
  message(FATAL_ERROR "consumer-test.cmake: no consumer project ${_source}")
endif()

function(run)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "Running: ${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "Failed (${_rc}): ${_shown}")
  endif()
endfunction()

file(REMOVE_RECURSE "${_work}")

set(_configure "${CMAKE_COMMAND}" -S "${_source}" -B "${_work}/build")
if(CMAKE_GENERATOR)
  list(APPEND _configure -G "${CMAKE_GENERATOR}")
endif()
foreach(_var IN ITEMS CMAKE_CXX_COMPILER CMAKE_BUILD_TYPE CMAKE_CXX_FLAGS CMAKE_EXE_LINKER_FLAGS)
  if(DEFINED ${_var})
    list(APPEND _configure "-D${_var}=${${_var}}")
  endif()
endforeach()

if(KIND STREQUAL "find-package")
  file(REMOVE_RECURSE "${_prefix}")
  set(_install "${CMAKE_COMMAND}" --install "${OTPP_BINARY_DIR}" --prefix "${_prefix}")
  if(CMAKE_BUILD_TYPE)
    list(APPEND _install --config "${CMAKE_BUILD_TYPE}")
  endif()
  run(${_install})
  # Only the installed copy may be found, never the build or source tree.
  list(APPEND _configure
    "-DCMAKE_PREFIX_PATH=${_prefix}"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
endif()

run(${_configure})
set(_build "${CMAKE_COMMAND}" --build "${_work}/build")
if(CMAKE_BUILD_TYPE)
  list(APPEND _build --config "${CMAKE_BUILD_TYPE}")
endif()
run(${_build})
run("${_work}/build/consumer")
