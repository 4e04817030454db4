#pragma once
/// \file pixlime/version.hpp
/// The library version, in one place. CMake reads it from here.

#define PIXLIME_VERSION_MAJOR 0
#define PIXLIME_VERSION_MINOR 2
#define PIXLIME_VERSION_PATCH 0
#define PIXLIME_VERSION "0.2.0"

namespace pixlime {
/// The version string of the headers in use, e.g. "0.2.0".
constexpr const char* version = PIXLIME_VERSION;
constexpr int version_major = PIXLIME_VERSION_MAJOR;
constexpr int version_minor = PIXLIME_VERSION_MINOR;
constexpr int version_patch = PIXLIME_VERSION_PATCH;
}  // namespace pixlime
