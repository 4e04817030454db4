#pragma once
/// \file pixlime/io.hpp
/// Reading and writing image files with stb_image / stb_image_write: PNG, JPEG, BMP, TGA,
/// GIF (first frame), PSD, PNM and HDR in; PNG out.

#include <pixlime/detail/stb.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace pixlime {

/// Loads an 8-bit image file. `channels` = 0 keeps the channels as stored (gray, gray+alpha,
/// RGB or RGBA); 1..4 converts to that many. Dimensions are checked against
/// max_image_pixels before the pixels are decoded.
/// Throws pixlime::io_error (missing, unreadable or corrupt file), pixlime::invalid_argument
/// (channels outside 0..4) or pixlime::size_limit_error.
inline image<std::uint8_t> load_image(const std::string& path, int channels = 0) {
    if (channels < 0 || channels > 4)
        throw invalid_argument("load_image channels", channels, "0 (as stored) or 1..4");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) throw io_error("load_image path", "'" + path + "'", std::string("a readable file (") + std::strerror(errno) + ")");
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(f, &std::fclose);

    int w = 0, h = 0, stored = 0;
    if (!stbi_info_from_file(file.get(), &w, &h, &stored))
        throw io_error("load_image path", "'" + path + "'", std::string("a readable image (") + stbi_failure_reason() + ")");
    detail::check_dimensions("load_image '" + path + "'", w, h, stored, 1, limits{});
    const int out_channels = channels == 0 ? stored : channels;

    std::fseek(file.get(), 0, SEEK_SET);
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_file(file.get(), &w, &h, &stored, out_channels),
                                                     &stbi_image_free);
    if (!pixels) throw io_error("load_image path", "'" + path + "'", std::string("an uncorrupted image (") + stbi_failure_reason() + ")");
    image<std::uint8_t> img(w, h, out_channels);
    std::memcpy(img.data(), pixels.get(), img.size());
    return img;
}

/// Writes an 8-bit image (1 to 4 channels) as PNG. Throws pixlime::invalid_argument for an
/// empty image or more than 4 channels, pixlime::io_error when the file cannot be written.
inline void save_png(const std::string& path, image_view<const std::uint8_t> img) {
    if (img.empty()) throw invalid_argument("save_png image", "empty", "a non-empty image");
    if (img.channels() > 4) throw invalid_argument("save_png image channels", img.channels(), "1..4 (PNG)");
    const int stride_bytes = int(img.row_stride());
    if (!stbi_write_png(path.c_str(), img.width(), img.height(), img.channels(), img.data(), stride_bytes))
        throw io_error("save_png path", "'" + path + "'", "a writable file");
}
inline void save_png(const std::string& path, const image<std::uint8_t>& img) { save_png(path, img.view()); }

}  // namespace pixlime
