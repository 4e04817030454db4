#pragma once
/// \file web_assets.hpp
/// The dashboard's files (serve/web), built into the binary by serve/embed.cmake: nothing is
/// fetched from elsewhere at run time.

#include <cstddef>

namespace pixlime::serve {

struct web_asset {
    const char* path;  ///< the URL path ("/" for index.html)
    const char* type;  ///< its media type (UTF-8 text; the server adds the charset)
    const unsigned char* data;
    std::size_t size;
};

extern const web_asset web_assets[];
extern const std::size_t web_asset_count;

}  // namespace pixlime::serve
