#pragma once
/// \file pixlime/version.hpp
/// The library version, in one place. CMake reads it from here.

/// The major version: 0 while the API may still change between minor versions.
#define PIXLIME_VERSION_MAJOR 0
/// The minor version.
#define PIXLIME_VERSION_MINOR 2
/// The patch version.
#define PIXLIME_VERSION_PATCH 0
/// The version as a string, "MAJOR.MINOR.PATCH".
#define PIXLIME_VERSION "0.2.0"

namespace pixlime {
/// The version string of the headers in use, e.g. "0.2.0".
constexpr const char* version = PIXLIME_VERSION;
/// PIXLIME_VERSION_MAJOR as a constant.
constexpr int version_major = PIXLIME_VERSION_MAJOR;
/// PIXLIME_VERSION_MINOR as a constant.
constexpr int version_minor = PIXLIME_VERSION_MINOR;
/// PIXLIME_VERSION_PATCH as a constant.
constexpr int version_patch = PIXLIME_VERSION_PATCH;
}  // namespace pixlime
