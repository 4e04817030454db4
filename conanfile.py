"""Conan 2 recipe of pixlime (header-only).

    conan create . --build=missing        # with test_package/: builds and runs a small explanation

Consumers get the CMake target pixlime::pixlime (find_package(pixlime)) and the pkg-config name
pixlime. ConanCenter's stb is headers only, so exactly one .cpp file of the consumer defines
PIXLIME_STB_IMPLEMENTATION before including pixlime (that file then compiles stb_image and
stb_image_write); pixlime never links an stb library through Conan.
"""
import os
import re

from conan import ConanFile
from conan.tools.files import copy, load


class PixlimeConan(ConanFile):
    name = "pixlime"
    description = "Header-only LIME image explanations for any C++ classifier"
    license = "MIT"
    topics = ("explainable-ai", "lime", "image-classification", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "include/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        # The version lives in one header (as for CMake).
        text = load(self, os.path.join(self.recipe_folder, "include", "pixlime", "version.hpp"))
        self.version = re.search(r'#define PIXLIME_VERSION "([0-9.]+)"', text).group(1)

    def requirements(self):
        self.requires("eigen/3.4.0")
        self.requires("stb/cci.20230920")

    def package_id(self):
        self.info.clear()  # header-only: one package for every setting

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "pixlime")
        self.cpp_info.set_property("cmake_target_name", "pixlime::pixlime")
        self.cpp_info.set_property("pkg_config_name", "pixlime")
        self.cpp_info.requires = ["eigen::eigen", "stb::stb"]
        # The stb linking choice: ConanCenter's stb has no library, so PIXLIME_STB_LINKED is not
        # defined, and the consumer compiles stb in one file with PIXLIME_STB_IMPLEMENTATION.
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
