#pragma once
/// \file pixlime/detail/stb.hpp
/// Includes stb_image and stb_image_write (nothing else of stb: pixlime does not use
/// stb_image_resize, which upstream stb moved to deprecated/ in 2023) from wherever they are
/// installed (<stb_image.h> or <stb/stb_image.h>). The compiled code comes from a system stb
/// library (Debian's libstb-dev; pixlime's CMake links it and defines PIXLIME_STB_LINKED) or,
/// where there is none, from the one translation unit that defines PIXLIME_STB_IMPLEMENTATION
/// before including pixlime.

#if defined(PIXLIME_STB_IMPLEMENTATION) && !defined(PIXLIME_STB_LINKED)
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#endif

#if defined(__GNUC__)
#pragma GCC system_header  // stb is not warning-clean under -Wpedantic; its warnings are not ours
#endif

#if __has_include(<stb_image.h>)
#include <stb_image.h>
#include <stb_image_write.h>
#elif __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#else
#error "pixlime needs the stb headers stb_image.h and stb_image_write.h (Debian: apt-get install libstb-dev)"
#endif
