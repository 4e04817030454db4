#pragma once
/// \file pixlime/detail/io/tga.hpp
/// Recognising a Truevision TGA file (off by default; the format has no magic number) and its
/// structural check before stb_image decodes it, following the "Truevision TGA File Format
/// Specification, Version 2.0" (1989): the 18-byte header (fields 1-5: ID length, colour
/// map type, image type, colour map specification, image specification with its image
/// descriptor), the image ID (field 6), the colour map (field 7) and the image data (field
/// 8), raw or run-length encoded (packets of a 1-byte header, bit 7 set for a run-length
/// packet, bits 0-6 the pixel count minus 1; the "Run-length Packet" and "Raw Packet" of
/// the specification's image types 9, 10 and 11).

#include <pixlime/detail/io/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace pixlime {
namespace detail {
namespace io {

/// Whether `n` bytes at `d` start with a TGA header that stb_image decodes: the decision
/// identify() makes for bytes that match no magic number, so that pixlime checks a file as TGA
/// exactly when stb will decode it as TGA. Written from the header layout of the TGA 2.0
/// specification ("The TGA File Header", fields 1 to 5):
/// - field 2, colour map type: 0 (none) or 1 (a colour map follows); 2-255 are reserved;
/// - field 3, image type: with no colour map, 2 or 10 (true-colour, raw or run-length
///   encoded) or 3 or 11 (black and white); with a colour map, 1 or 9 (colour-mapped);
///   0 (no image data) is no image;
/// - field 4.3, colour map entry size: 15, 16, 24 or 32 bits as the specification lists, or 8
///   (a gray colour map, which stb_image also reads);
/// - fields 5.3 and 5.4, width and height: at least 1;
/// - field 5.5, pixel depth: 8, 15, 16, 24 or 32 bits; for a colour-mapped image it is the
///   size of an index into the colour map, 8 or 16 bits.
inline bool looks_like_tga(const byte* d, std::size_t n) {
    constexpr std::size_t header_bytes = 18;
    if (n < header_bytes) return false;
    const unsigned map_type = d[1], image_type = d[2], entry_bits = d[7], pixel_bits = d[16];
    const bool has_size = le16(d + 12) >= 1 && le16(d + 14) >= 1;
    const auto one_of = [](unsigned value, std::initializer_list<unsigned> allowed) {
        for (const unsigned a : allowed)
            if (value == a) return true;
        return false;
    };
    if (map_type == 0)  // true-colour or black and white, raw or run-length encoded
        return one_of(image_type, {2, 3, 10, 11}) && has_size && one_of(pixel_bits, {8, 15, 16, 24, 32});
    if (map_type == 1)  // colour-mapped, raw or run-length encoded
        return one_of(image_type, {1, 9}) && one_of(entry_bits, {8, 15, 16, 24, 32}) && has_size && one_of(pixel_bits, {8, 16});
    return false;
}

/// Checks the header, colour map and (raw or run-length encoded) pixel data of the TGA `in`
/// (see the top of this header): its size and channels. Throws pixlime::io_error naming what is
/// wrong, pixlime::size_limit_error over the limits.
inline scanned scan_tga(const input& in) {
    scanned s;
    s.fmt = format::tga;
    const byte* d = in.d;
    const unsigned id_len = d[0], mapped = d[1], type = d[2], map_first = le16(d + 3), map_len = le16(d + 5), map_bits = d[7];
    const std::int64_t w = le16(d + 12), h = le16(d + 14);
    const unsigned bpp = d[16], desc = d[17];
    const bool rle = type >= 8, gray = type == 3 || type == 11;
    if (mapped && map_first != 0)
        in.fail("TGA colour map starting at entry " + num(std::int64_t(map_first)), "a colour map starting at entry 0 (stb_image misreads others)");
    if (mapped && map_len == 0) in.fail("TGA colour-mapped image with an empty colour map", "at least one colour map entry");
    if (desc & 0x10) in.fail("TGA stored right to left", "rows stored left to right (stb_image ignores the flag)");
    if (!mapped && gray && bpp != 8 && bpp != 16) in.fail("gray TGA with " + num(std::int64_t(bpp)) + " bits a pixel", "8 or 16 (with alpha)");
    if (!mapped && !gray && bpp == 8) in.fail("true-colour TGA with 8 bits a pixel", "15, 16, 24 or 32 bits a pixel");
    s.width = w;
    s.height = h;
    s.channels = mapped ? (map_bits == 8 ? 1 : map_bits == 32 ? 4 : 3) : (bpp == 8 ? 1 : bpp == 16 && gray ? 2 : bpp == 32 ? 4 : 3);
    in.dimensions(w, h, s.channels);
    const std::size_t map_bytes = mapped ? std::size_t(map_len) * ((map_bits + 7) / 8) : 0;
    const std::size_t pixel_bytes = (bpp + 7) / 8;
    std::size_t pos = 18 + id_len;
    in.need("TGA", 0, pos + map_bytes, false, "the colour map is cut short");
    pos += map_bytes;
    const std::size_t count = std::size_t(w) * std::size_t(h);
    auto check_index = [&](std::size_t at) {
        const unsigned index = pixel_bytes == 1 ? d[at] : le16(d + at);
        if (index >= map_len)
            in.fail("TGA colour index " + num(std::int64_t(index)) + " outside the colour map's " + count_entries(map_len),
                    "every pixel's colour index below " + num(std::int64_t(map_len)));
    };
    if (!rle) {
        in.need("TGA", pos, count * pixel_bytes, false, "");
        if (mapped)
            for (std::size_t i = 0; i < count; ++i) check_index(pos + i * pixel_bytes);
        return s;
    }
    std::size_t done = 0;
    while (done < count) {
        const std::string where = "its RLE data holds " + num(done) + " of " + num(count) + " pixels";
        in.need("TGA", pos, 1, true, where);
        const unsigned packet = d[pos++];
        const std::size_t run = (packet & 127u) + 1, values = (packet & 128u) ? 1 : run;
        in.need("TGA", pos, values * pixel_bytes, true, where);
        if (mapped)
            for (std::size_t i = 0; i < values; ++i) check_index(pos + i * pixel_bytes);
        pos += values * pixel_bytes;
        done += run;
    }
    return s;
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
