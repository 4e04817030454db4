#pragma once
/// \file pixlime/detail/io/bmp.hpp
/// The structural check of a BMP file before stb_image decodes it, following Microsoft's
/// documentation of the bitmap file structures (Windows GDI, "Bitmap Storage"):
/// BITMAPFILEHEADER (the 14-byte file header: "BM", size, pixel data offset), the info
/// headers by size (those stb_image decodes: BITMAPCOREHEADER of OS/2 1.x, 12 bytes;
/// BITMAPINFOHEADER, 40; BITMAPV3INFOHEADER, 56; BITMAPV4HEADER, 108; BITMAPV5HEADER,
/// 124), biCompression (BI_RGB, BI_RLE8, BI_RLE4, BI_BITFIELDS, BI_JPEG, BI_PNG), the colour
/// table, rows padded to 4 bytes and stored bottom-up for a positive biHeight, top-down for a
/// negative one.
/// Palette indices past the colour table are refused (stb_image 2.27 reads them from
/// uninitialised stack), and an OS/2 1.x palette is padded so that stb reads all of it.

#include <pixlime/detail/io/bytes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// Checks the headers, palette and pixel rows of the BMP `in` (see the top of this header): its
/// size, its channels and whether its OS/2 palette needs padding. Throws pixlime::io_error
/// naming what is wrong, pixlime::size_limit_error over the limits.
inline scanned scan_bmp(const input& in) {
    scanned s;
    s.fmt = format::bmp;
    const byte* d = in.d;
    const std::size_t n = in.n;
    in.need("BMP", 0, 18, true, "the file header is cut short");
    const std::uint32_t offset = le32(d + 10), hsz = le32(d + 14);
    if (hsz != 12 && hsz != 40 && hsz != 56 && hsz != 108 && hsz != 124)
        in.fail("BMP with a " + num(std::int64_t(hsz)) + "-byte info header",
                "a 12 (OS/2 1.x), 40, 56, 108 or 124-byte header (stb_image decodes no other BMP kind)");
    in.need("BMP", 0, 14 + hsz, false, "the info header is cut short");
    const byte* h = d + 14;
    std::int64_t width, height;
    unsigned planes, bpp, compress = 0, colors_used = 0;
    if (hsz == 12) {
        width = le16(h + 4);
        height = le16(h + 6);
        planes = le16(h + 8);
        bpp = le16(h + 10);
    } else {
        width = std::int32_t(le32(h + 4));
        height = std::int32_t(le32(h + 8));
        planes = le16(h + 12);
        bpp = le16(h + 14);
        compress = le32(h + 16);
        colors_used = le32(h + 32);
    }
    if (planes != 1) in.fail("BMP with " + num(std::int64_t(planes)) + " planes", "1 plane");
    if (compress == 1 || compress == 2)
        in.fail("RLE-compressed BMP (" + std::string(compress == 1 ? "RLE8" : "RLE4") + ")",
                "an uncompressed or BI_BITFIELDS BMP (stb_image does not decode RLE)");
    if (compress == 4 || compress == 5)
        in.fail("BMP holding a " + std::string(compress == 4 ? "JPEG" : "PNG") + " image", "an uncompressed or BI_BITFIELDS BMP");
    if (compress != 0 && compress != 3)
        in.fail("BMP with compression " + num(std::int64_t(compress)), "0 (none) or 3 (BI_BITFIELDS)");
    const bool palette = bpp == 1 || bpp == 4 || bpp == 8;
    if (!palette && bpp != 16 && bpp != 24 && bpp != 32)
        in.fail("BMP with " + num(std::int64_t(bpp)) + " bits a pixel", "1, 4, 8, 16, 24 or 32 bits a pixel");
    if (hsz == 12 && bpp != 24 && !palette)
        in.fail("OS/2 1.x BMP with " + num(std::int64_t(bpp)) + " bits a pixel", "1, 4, 8 or 24 bits a pixel");
    if (compress == 3 && bpp != 16 && bpp != 32)
        in.fail("BI_BITFIELDS BMP with " + num(std::int64_t(bpp)) + " bits a pixel", "16 or 32 bits a pixel");
    if (compress == 3 && hsz == 56)
        in.fail("BMP with a 56-byte header and BI_BITFIELDS masks",
                "another header size (stb_image reads the masks of this one from the wrong place)");
    if (width < 1 || height == 0 || height == INT32_MIN)
        in.fail("BMP header with a size of " + num(width) + "x" + num(height),
                "a width of at least 1 and a height other than 0 (negative: rows stored top-down)");
    const std::int64_t rows = height < 0 ? -height : height;
    s.width = width;
    s.height = rows;

    std::size_t header_end = 14 + hsz + ((compress == 3 && hsz == 40) ? 12 : 0);
    in.need("BMP", 0, header_end, false, "the BI_BITFIELDS masks are cut short");
    std::uint32_t alpha_mask = 0;
    if (bpp == 32 && compress == 0) alpha_mask = 0xff000000u;
    if (compress == 3 && hsz >= 108) alpha_mask = le32(h + 52);
    s.channels = palette ? 3 : (alpha_mask != 0 && !(bpp == 24 && alpha_mask == 0xff000000u)) ? 4 : 3;
    in.dimensions(width, rows, s.channels);

    std::int64_t entries = 0;
    if (palette) {
        const std::int64_t entry_size = hsz == 12 ? 3 : 4;
        const std::int64_t room = std::int64_t(offset) - std::int64_t(14 + hsz);
        entries = room / entry_size;
        if (room < entry_size || entries > 256)
            in.fail("BMP whose pixel data starts at byte " + num(std::int64_t(offset)) + ", leaving room for " + num(room < 0 ? 0 : entries) +
                        " palette entries",
                    "a palette of 1 to 256 entries between the header and the pixels");
        in.need("BMP", 14 + hsz, std::size_t(entries * entry_size), false, "the palette is cut short");
        if (hsz == 12) {
            s.os2_palette = true;
            s.os2_palette_end = 14 + 12 + std::size_t(entries) * 3;
        }
    } else if (offset < header_end) {
        in.fail("BMP whose pixel data starts at byte " + num(std::int64_t(offset)) + ", inside its " + num(header_end) + "-byte header",
                "pixel data after the header");
    }
    const std::int64_t row_bytes = ((width * std::int64_t(bpp) + 31) / 32) * 4;
    const std::int64_t last_row = (width * std::int64_t(bpp) + 7) / 8;
    // Checked before the product: width * height cannot overflow once both are bounded.
    if (rows > (std::int64_t{1} << 31) || row_bytes > (std::int64_t{1} << 31) ||
        std::int64_t(offset) + row_bytes * (rows - 1) + last_row > std::int64_t(n))
        in.truncated("BMP",
                     std::size_t(std::min<std::int64_t>(std::int64_t(offset) + row_bytes * rows, std::int64_t{1} << 62)),
                     false, "");

    const std::int64_t limit = (colors_used > 0 && colors_used < entries) ? colors_used : entries;
    if (palette && limit < (std::int64_t{1} << bpp)) {  // indices past the palette read stb's uninitialised stack
        const unsigned mask = (1u << bpp) - 1u;
        for (std::int64_t y = 0; y < rows; ++y) {
            const byte* row = d + offset + std::size_t(y * row_bytes);
            for (std::int64_t x = 0; x < width; ++x) {
                const std::int64_t bit = x * std::int64_t(bpp);
                const unsigned shift = unsigned(8 - std::int64_t(bpp) - bit % 8);
                const unsigned index = (unsigned(row[bit / 8]) >> shift) & mask;
                if (index >= limit)
                    in.fail("BMP palette index " + num(std::int64_t(index)) + " outside the palette's " + count_entries(limit),
                            "every pixel's palette index below " + num(limit));
            }
        }
    }
    return s;
}

/// An OS/2 1.x palette BMP with 12 bytes inserted after the palette and the pixel offset moved
/// by 12, so that stb 2.27 (which takes the palette to hold (offset - 38) / 3 entries) reads
/// all of it and still finds the pixels at the offset.
inline std::vector<byte> pad_os2_palette(const input& in, const scanned& s) {
    std::vector<byte> out(in.d, in.d + s.os2_palette_end);
    out.insert(out.end(), 12, byte{0});
    out.insert(out.end(), in.d + s.os2_palette_end, in.d + in.n);
    const std::uint32_t offset = le32(in.d + 10) + 12;
    for (unsigned i = 0; i < 4; ++i) out[10 + i] = byte((offset >> (8 * i)) & 255u);
    return out;
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
