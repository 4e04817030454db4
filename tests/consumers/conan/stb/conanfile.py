"""A stand-in for ConanCenter's stb/cci.20230920 recipe, for pixlime's packaging test only: it
packages Debian's stb headers (libstb-dev) the way ConanCenter does, headers only (no compiled
library: the consumer compiles stb with STB_IMAGE_IMPLEMENTATION), as stb::stb."""
import os

from conan import ConanFile
from conan.tools.files import copy


class StbStandIn(ConanFile):
    name = "stb"
    version = "cci.20230920"
    package_type = "header-library"
    system_headers = "/usr/include/stb"

    def package_id(self):
        self.info.clear()

    def package(self):
        copy(self, "stb_image.h", self.system_headers, os.path.join(self.package_folder, "include"))
        copy(self, "stb_image_write.h", self.system_headers, os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "stb")
        self.cpp_info.set_property("cmake_target_name", "stb::stb")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
