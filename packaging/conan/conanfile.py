import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load

required_conan_version = ">=2.0"

# The recipe lives in otpp's repository, two folders below its root, and
# packages the checkout it sits in (conan create packaging/conan).
_ROOT = os.path.join("..", "..")


class OtppConan(ConanFile):
    name = "otpp"
    description = ("Erlang/OTP's behaviours for C++20, header-only, on Boost.Asio: "
                   "gen_server, supervisors, links, monitors, names, tasks and agents.")
    license = "BSL-1.0"
    topics = ("erlang", "otp", "actor", "gen_server", "supervisor", "asio", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    no_copy_source = True

    def set_version(self):
        # The version is written once, in include/otpp/config.hpp.
        header = load(self, os.path.join(self.recipe_folder, _ROOT, "include", "otpp", "config.hpp"))
        parts = [re.search(rf"#define OTPP_VERSION_{p} (\d+)", header).group(1)
                 for p in ("MAJOR", "MINOR", "PATCH")]
        self.version = ".".join(parts)

    def export_sources(self):
        root = os.path.join(self.recipe_folder, _ROOT)
        for pattern in ("CMakeLists.txt", "LICENSE", "cmake/*", "include/*"):
            copy(self, pattern, root, self.export_sources_folder)

    def layout(self):
        cmake_layout(self, src_folder=".")

    def requirements(self):
        # Boost.Asio and {fmt} appear in otpp's public headers.
        self.requires("boost/[>=1.81 <2]", transitive_headers=True)
        self.requires("fmt/[>=9 <12]", transitive_headers=True, transitive_libs=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 20)

    def generate(self):
        # tests/package/packaging-test.cmake runs these same variables: keep
        # them on lines of their own, one tc.cache_variables["OTPP_..."] each.
        tc = CMakeToolchain(self)
        tc.cache_variables["OTPP_BUILD_TESTS"] = False
        tc.cache_variables["OTPP_BUILD_EXAMPLES"] = False
        tc.cache_variables["OTPP_BUILD_BENCHMARKS"] = False
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        # Nothing to compile; configuring is what install needs.
        cmake = CMake(self)
        cmake.configure()

    def package(self):
        cmake = CMake(self)
        cmake.install()
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))

    def package_info(self):
        # Consumers use the CMake package otpp installs (otppConfig.cmake,
        # target otpp::otpp), not one that CMakeDeps would generate.
        self.cpp_info.set_property("cmake_find_mode", "none")
        self.cpp_info.builddirs = [os.path.join("share", "cmake", "otpp")]
        self.cpp_info.set_property("pkg_config_name", "otpp")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
