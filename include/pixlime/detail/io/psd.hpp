#pragma once
/// \file pixlime/detail/io/psd.hpp
/// The structural check of a Photoshop PSD file (off by default) before stb_image decodes it,
/// following Adobe's "Photoshop File Formats Specification": the file header section
/// (signature "8BPS", version 1, channels 1-56, height, width, depth, colour mode), the
/// length-prefixed colour mode data, image resources and layer and mask information sections,
/// and the image data section (compression 0 raw, 1 RLE: a table of byte counts per row and
/// channel, then PackBits-compressed rows, as Apple's Technical Note TN1023 defines PackBits).

#include <pixlime/detail/io/bytes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pixlime {
namespace detail {
namespace io {

/// Checks the sections and image data of the PSD `in` (see the top of this header): its size
/// (always RGBA). Throws pixlime::io_error naming what is wrong, pixlime::size_limit_error over
/// the limits.
inline scanned scan_psd(const input& in) {
    scanned s;
    s.fmt = format::psd;
    const byte* d = in.d;
    in.need("PSD", 0, 26, true, "the header is cut short");
    const unsigned version = be16(d + 4), channels = be16(d + 12), depth = be16(d + 22), mode = be16(d + 24);
    const std::uint32_t h = be32(d + 14), w = be32(d + 18);
    if (version != 1) in.fail("PSD version " + num(std::int64_t(version)) + (version == 2 ? " (PSB, large document)" : ""), "version 1");
    if (mode != 3) in.fail("PSD in colour mode " + num(std::int64_t(mode)), "RGB (mode 3; stb_image decodes no other)");
    if (channels < 3 || channels > 16) in.fail("RGB PSD with " + num(std::int64_t(channels)) + " channels", "3 to 16 channels");
    if (depth != 8 && depth != 16) in.fail("PSD with " + num(std::int64_t(depth)) + "-bit channels", "8 or 16-bit channels");
    if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu)
        in.fail("PSD header with a size of " + num(std::int64_t(w)) + "x" + num(std::int64_t(h)), "an image of at least 1x1 pixels");
    s.width = w;
    s.height = h;
    s.channels = 4;
    in.dimensions(w, h, 4);
    std::size_t pos = 26;
    const char* sections[3] = {"colour mode data", "image resources", "layer and mask information"};
    for (const char* section : sections) {
        in.need("PSD", pos, 4, true, std::string("the ") + section + " section is cut short");
        const std::size_t len = be32(d + pos);
        in.need("PSD", pos + 4, len, true, std::string("the ") + section + " section is cut short");
        pos += 4 + len;
    }
    in.need("PSD", pos, 2, true, "the image data is cut short");
    const unsigned compression = be16(d + pos);
    pos += 2;
    if (compression > 1) in.fail("PSD image data with compression " + num(std::int64_t(compression)), "0 (raw) or 1 (RLE)");
    const std::size_t pixels = std::size_t(w) * std::size_t(h);
    if (compression == 0) {
        in.need("PSD", pos, pixels * channels * (depth / 8), false, "");
        return s;
    }
    if (depth != 8)
        in.fail("16-bit PSD with RLE-compressed image data", "8-bit RLE or raw data (stb_image misreads 16-bit RLE)");
    const std::size_t table = std::size_t(h) * channels * 2;
    in.need("PSD", pos, table, true, "its table of row sizes is cut short");
    std::size_t total = 0;
    for (std::size_t i = 0; i < std::size_t(h) * channels; ++i) total += be16(d + pos + 2 * i);
    in.need("PSD", pos, table + total, false, "");
    pos += table;
    for (unsigned c = 0; c < std::min(channels, 4u); ++c) {  // stb's PackBits decoder, one run per channel
        std::size_t done = 0;
        while (done < pixels) {
            const std::string where = "channel " + num(std::int64_t(c)) + " holds " + num(done) + " of " + num(pixels) + " pixels";
            in.need("PSD", pos, 1, true, where);
            const unsigned len = d[pos++];
            if (len == 128) continue;
            const std::size_t run = len < 128 ? len + 1 : 257 - len, bytes = len < 128 ? run : 1;
            if (run > pixels - done)
                in.fail("PSD RLE data of channel " + num(std::int64_t(c)) + " running past the image", "rows of exactly the image's width");
            in.need("PSD", pos, bytes, true, where);
            pos += bytes;
            done += run;
        }
    }
    return s;
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
