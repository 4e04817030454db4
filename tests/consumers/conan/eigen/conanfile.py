"""A stand-in for ConanCenter's eigen/3.4.0 recipe, for pixlime's packaging test only: it packages
Debian's installed Eigen headers (libeigen3-dev) under the name, version, CMake file and target
names ConanCenter uses (Eigen3 / Eigen3::Eigen), since ConanCenter cannot be reached here."""
import os

from conan import ConanFile
from conan.tools.files import copy


class EigenStandIn(ConanFile):
    name = "eigen"
    version = "3.4.0"
    package_type = "header-library"
    system_headers = "/usr/include/eigen3"

    def package_id(self):
        self.info.clear()

    def package(self):
        copy(self, "*", os.path.join(self.system_headers, "Eigen"), os.path.join(self.package_folder, "include", "eigen3", "Eigen"))
        copy(self, "*", os.path.join(self.system_headers, "unsupported"),
             os.path.join(self.package_folder, "include", "eigen3", "unsupported"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "Eigen3")
        self.cpp_info.set_property("cmake_target_name", "Eigen3::Eigen")
        self.cpp_info.set_property("pkg_config_name", "eigen3")
        self.cpp_info.includedirs = ["include/eigen3"]
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
