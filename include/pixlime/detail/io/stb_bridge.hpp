#pragma once
/// \file pixlime/detail/io/stb_bridge.hpp
/// The calls into stb_image and stb_image_write (included through detail/stb.hpp, which
/// says where their compiled code comes from): decoding a checked file, the conversion of
/// RGBA results to fewer channels, encoding a PNG, and the checks of stb's vertical-flip
/// settings. stb_image and stb_image_write are the specification here: their public API as
/// stb_image.h and stb_image_write.h document it (release 2.27 / 1.16).
///
/// The flip settings: stbi_set_flip_vertically_on_load (process-wide, or per thread with
/// stbi_set_flip_vertically_on_load_thread) and stbi_flip_vertically_on_write (process-wide)
/// make stb return and write images bottom row first. Graphics programs set them, and stb
/// offers no way to read them, so pixlime asks stb on each call: stb_flips_on_load decodes a
/// 62-byte BMP, stb_flips_on_write encodes a 1x2 BMP (no compression, no allocation). Each
/// costs 0.2 to 0.4 microseconds (measured on a 2-core machine; loading a 224x224 RGB PNG
/// takes 2 to 4 ms there, encoding one 16 to 29 ms). The answers are deliberately not cached,
/// not even once per process: a program may set a flag after pixlime's first call (or set the
/// load flag for one thread only), and a cached answer would then turn every later image upside
/// down, silently (test_io.cpp checks that a flag set after a first load and save is obeyed).

#include <pixlime/detail/io/bytes.hpp>
#include <pixlime/detail/stb.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// Frees what stb_image returns.
struct stb_free {
    void operator()(stbi_uc* p) const { stbi_image_free(p); }
};
using stb_buffer = std::unique_ptr<stbi_uc, stb_free>;

/// An image stb_image decoded.
struct decoded {
    stb_buffer pixels;
    int width = 0, height = 0, channels = 0;  // channels of the buffer
    int stored = 0;                           // channels stb reports for the file
};

/// Whether stb_image currently flips images on load (stbi_set_flip_vertically_on_load,
/// process-wide or for this thread): decodes a 1x2 BMP whose top row is white. Asked on every
/// decode, never cached (see the top of this header).
inline bool stb_flips_on_load() {
    static const byte probe[62] = {'B', 'M', 62, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,  // file header
                                   40, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0,  // info header
                                   8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0,           // bottom row: black
                                   255, 255, 255, 0};    // top row: white
    int w = 0, h = 0, c = 0;
    stb_buffer p(stbi_load_from_memory(probe, int(sizeof probe), &w, &h, &c, 1));
    return p && w == 1 && h == 2 && p.get()[0] == 0;
}

/// stb_image's decode of the `size` bytes at `data` (the file `in`, or a padded copy) with
/// `req` channels (0: as stored); throws pixlime::io_error when stb fails or disagrees with the
/// header's size found in `s`.
inline decoded call_stb(const input& in, const byte* data, std::size_t size, int req, const scanned& s) {
    decoded r;
    stbi_uc* p = stbi_load_from_memory(data, int(size), &r.width, &r.height, &r.stored, req);
    if (!p) {
        const char* why = stbi_failure_reason();
        std::string reason = why ? why : "";
        // stb leaves the reason of an earlier format test when a decoder fails silently.
        if (s.fmt != format::png && reason == "bad png sig") reason.clear();
        std::string text = "stb_image could not decode the pixel data";
        if (reason == "outofmem") text = "stb_image ran out of memory decoding the image";
        if (reason == "too large") text = "stb_image refuses an image this large (over 2^24 pixels a side or 2^30 bytes)";
        in.fail(std::string(format_name(s.fmt)) + " image data that is corrupt: " + text + (reason.empty() ? "" : " (stb: " + reason + ")"),
                "a valid image file");
    }
    r.pixels.reset(p);
    r.channels = req ? req : r.stored;
    if (r.width != s.width || r.height != s.height)
        in.fail(std::string(format_name(s.fmt)) + " image that stb_image decoded as " + num(std::int64_t(r.width)) + "x" +
                    num(std::int64_t(r.height)) + " where its header says " + num(s.width) + "x" + num(s.height),
                "a consistent image file");
    return r;
}

/// The luma of an RGB pixel as pixlime's channel conversion defines it (load_options::channels):
/// ITU-R BT.601's Y' = 0.299 R' + 0.587 G' + 0.114 B' in 8-bit fixed point, each weight rounded
/// to 1/256 (77, 150 and 29, which sum to 256), the sum shifted down by 8 bits: the gray that
/// stb_image computes when it converts itself, so that every format converts alike.
inline stbi_uc luma(unsigned r, unsigned g, unsigned b) { return stbi_uc((77u * r + 150u * g + 29u * b) >> 8); }

/// `pixels` RGBA pixels at `src` as `channels` channels at `dst`: 1 is the luma, 2 the luma
/// and the alpha, 3 drops the alpha, 4 copies. For the PIC and GIF files pixlime decodes as
/// RGBA (stb 2.27 dereferences a null pointer converting a damaged PIC itself; GIF backgrounds
/// are corrected in RGBA first).
inline void from_rgba(const stbi_uc* src, std::size_t pixels, int channels, stbi_uc* dst) {
    const std::size_t out = std::size_t(channels);
    for (std::size_t i = 0; i < pixels; ++i) {
        const stbi_uc* rgba = src + 4 * i;
        stbi_uc* px = dst + out * i;
        if (channels >= 3) {
            std::memcpy(px, rgba, out);
        } else {
            px[0] = luma(rgba[0], rgba[1], rgba[2]);
            if (channels == 2) px[1] = rgba[3];
        }
    }
}

/// stbi_write_func appending to the std::vector<std::uint8_t> at `context`.
inline void collect(void* context, void* data, int size) {
    auto* v = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (size > 0) v->insert(v->end(), p, p + size);
}

/// Whether stb_image_write currently flips images on write (stbi_flip_vertically_on_write,
/// which its PNG and BMP writers both follow): writes a 1x2 gray BMP, whose rows a BMP stores
/// bottom-up (a positive biHeight), and looks at the first row stored: the bottom one (white),
/// or the top one (black) when stb flips. Asked on every encode, never cached (see the top of
/// this header).
inline bool stb_flips_on_write() {
    struct sink {
        byte bytes[64];
        std::size_t size;
    } bmp{{}, 0};
    const auto keep = [](void* context, void* data, int size) {
        auto* s = static_cast<sink*>(context);
        const std::size_t n = size > 0 ? std::size_t(size) : 0;
        if (s->size <= sizeof s->bytes && n <= sizeof s->bytes - s->size) std::memcpy(s->bytes + s->size, data, n);
        s->size += n;
    };
    const std::uint8_t px[2] = {0, 255};  // top row black, bottom row white
    constexpr std::size_t pixels_at = 14 + 40;  // after BITMAPFILEHEADER and BITMAPINFOHEADER
    if (!stbi_write_bmp_to_func(keep, &bmp, 1, 2, 1, px) || bmp.size != pixels_at + 8) return false;
    return bmp.bytes[pixels_at] == 0;
}

/// The PNG stb_image_write encodes for `img` (see pixlime::encode_png; `what` names it in
/// messages), top row first whatever stbi_flip_vertically_on_write says.
inline std::vector<std::uint8_t> encode_png(image_view<const std::uint8_t> img, const std::string& what) {
    if (img.empty()) throw invalid_argument(what + " image", "empty", "a non-empty image");
    if (img.channels() > 4)
        throw invalid_argument(what + " image channels", img.channels(), "1 to 4 (PNG holds gray, gray+alpha, RGB or RGBA)");
    const std::int64_t scanlines = (std::int64_t(img.width()) * img.channels() + 1) * img.height();
    if (scanlines > INT_MAX || img.row_stride() > INT_MAX)
        throw size_limit_error(what + " image size",
                               std::to_string(img.width()) + "x" + std::to_string(img.height()) + "x" + std::to_string(img.channels()),
                               "at most 2^31 - 1 bytes of PNG scanlines (what stb_image_write encodes)");
    // Starting from the last row with a negative stride undoes stbi_flip_vertically_on_write.
    const bool flip = stb_flips_on_write();
    const std::uint8_t* first = flip ? img.row(img.height() - 1) : img.data();
    const int stride = int(img.row_stride()) * (flip ? -1 : 1);
    std::vector<std::uint8_t> png;
    if (!stbi_write_png_to_func(&collect, &png, img.width(), img.height(), img.channels(), first, stride) || png.empty())
        throw io_error(what + " image", std::to_string(img.width()) + "x" + std::to_string(img.height()),
                       "a PNG stb_image_write can encode (it ran out of memory)");
    return png;
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
