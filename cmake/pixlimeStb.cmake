# Finds the stb headers (installed as <stb_image.h> or <stb/stb_image.h>: Debian, vcpkg and
# Conan differ) and, where the system ships one (Debian's libstb-dev), the compiled stb
# library. Defines the imported target pixlime::stb.
#
# Without a compiled stb library, define PIXLIME_STB_IMPLEMENTATION in exactly one .cpp
# file before including <pixlime/pixlime.hpp>: that file then compiles stb_image and
# stb_image_write (the only stb headers pixlime uses).
if(TARGET pixlime::stb)
  return()
endif()

find_path(PIXLIME_STB_INCLUDE_DIR NAMES stb_image.h PATH_SUFFIXES stb
          DOC "Folder holding stb_image.h")
find_library(PIXLIME_STB_LIBRARY NAMES stb DOC "A compiled stb library (optional)")
if(NOT PIXLIME_STB_INCLUDE_DIR)
  message(FATAL_ERROR "pixlime: stb_image.h not found (Debian: apt-get install libstb-dev; "
                      "or set PIXLIME_STB_INCLUDE_DIR to the folder that holds it)")
endif()

add_library(pixlime::stb INTERFACE IMPORTED GLOBAL)
set_target_properties(pixlime::stb PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${PIXLIME_STB_INCLUDE_DIR}")
if(PIXLIME_STB_LIBRARY)
  set_property(TARGET pixlime::stb PROPERTY INTERFACE_LINK_LIBRARIES "${PIXLIME_STB_LIBRARY}")
  set_property(TARGET pixlime::stb PROPERTY INTERFACE_COMPILE_DEFINITIONS PIXLIME_STB_LINKED=1)
endif()
