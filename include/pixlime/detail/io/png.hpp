#pragma once
/// \file pixlime/detail/io/png.hpp
/// The structural check of a PNG file before stb_image decodes it, following the PNG
/// specification (W3C / ISO/IEC 15948:2003, "Portable Network Graphics (PNG) Specification
/// (Second Edition)"): the chunk layout (5.3: length, type, data, CRC), the chunk naming
/// rules (5.4: four letters; bit 5 of the first byte set for ancillary chunks), the CRC-32 of
/// every chunk pixlime relies on (5.5 and Annex D), the IHDR fields and the colour type / bit
/// depth pairs allowed together (11.2.2, Table 11.1), PLTE (11.2.3), tRNS (11.3.2.1), IDAT
/// and IEND (11.2.4, 11.2.5) and the chunk ordering rules (5.6). It also pads a short PLTE
/// (stb_image 2.27 reads palette indices past the PLTE from uninitialised memory).

#include <pixlime/detail/io/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// CRC-32 as PNG defines it (spec 5.5 and Annex D: the ISO 3309 / ITU-T V.42 polynomial
/// 0xedb88320 in its reflected form, register preset to all ones and complemented at the end),
/// with the 256-entry table built once.
inline std::uint32_t crc32(const byte* p, std::size_t n) {
    static const std::vector<std::uint32_t> table = [] {
        std::vector<std::uint32_t> t(256);
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xffffffffu;
    for (std::size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 255u] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/// Walks the chunks of the PNG `in` from its signature to IEND (see the top of this header):
/// its size, its channels as stb reports them and whether its PLTE is short. Throws
/// pixlime::io_error naming what is wrong, pixlime::size_limit_error over the limits.
inline scanned scan_png(const input& in) {
    scanned s;
    s.fmt = format::png;
    const byte* d = in.d;
    const std::size_t n = in.n;
    std::size_t pos = 8;
    bool ihdr = false, plte = false, trns = false, idat = false;
    unsigned depth = 0, color = 0;
    std::uint32_t plte_entries = 0;
    for (;;) {
        if (n - pos < 8)
            in.truncated("PNG", pos + 12, true,
                         pos == 8 && n == 8 ? "it ends after the signature"
                         : pos == n       ? "it ends after a complete chunk, with no IEND chunk"
                                  : "the chunk header at byte " + num(pos) + " is cut short");
        const std::uint32_t len = be32(d + pos);
        const byte* type = d + pos + 4;
        const std::string name(reinterpret_cast<const char*>(type), 4);
        bool letters = true;
        for (int i = 0; i < 4; ++i)
            letters = letters && ((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z'));
        if (!letters)
            in.fail("PNG chunk at byte " + num(pos) + " whose type bytes are " + hex_bytes(type, 4, 4),
                    "a four-letter chunk type (the file is corrupt)");
        if (len > 0x7fffffffu)
            in.fail("PNG " + name + " chunk at byte " + num(pos) + " of " + num(std::int64_t(len)) + " bytes",
                    "chunk lengths below 2^31 (the file is corrupt)");
        const bool is_iend = name == "IEND";
        const std::size_t end = pos + 12 + std::size_t(len);
        if (end > n)
            in.truncated("PNG", is_iend ? end : end + 12, !is_iend,
                         "the " + name + " chunk at byte " + num(pos) + " is cut short");
        const byte* data = d + pos + 8;
        if (name == "CgBI")
            in.fail("Apple CgBI PNG (the iPhone variant: BGR, premultiplied alpha, no zlib header)",
                    "a standard PNG (convert it with pngcrush -revert-iphone-optimizations)");
        if (!ihdr && name != "IHDR")
            in.fail("PNG whose first chunk is " + name + ", not IHDR", "a PNG file starting with its IHDR chunk");
        const bool checked = name == "IHDR" || name == "PLTE" || name == "tRNS" || name == "IDAT" || is_iend;
        if (checked) {
            const std::uint32_t stored = be32(d + end - 4), computed = crc32(type, 4 + std::size_t(len));
            if (stored != computed)
                in.fail("PNG " + name + " chunk at byte " + num(pos) + " with CRC " + hex32(stored) + " (its bytes give " +
                            hex32(computed) + ")",
                        "chunks whose CRC matches their bytes (the file is corrupt)");
        }
        if (name == "IHDR") {
            if (ihdr) in.fail("PNG with a second IHDR chunk at byte " + num(pos), "one IHDR chunk");
            ihdr = true;
            if (len != 13) in.fail("PNG IHDR chunk of " + num(std::int64_t(len)) + " bytes", "13 bytes");
            const std::uint32_t w = be32(data), h = be32(data + 4);
            depth = data[8];
            color = data[9];
            if (w == 0 || h == 0)
                in.fail("PNG header with a size of " + num(std::int64_t(w)) + "x" + num(std::int64_t(h)),
                        "an image of at least 1x1 pixels");
            if (w > 0x7fffffffu || h > 0x7fffffffu)
                in.fail("PNG header with a size of " + num(std::int64_t(w)) + "x" + num(std::int64_t(h)),
                        "width and height below 2^31 (the file is corrupt)");
            const bool ok_depth = (color == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
                                  (color == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
                                  ((color == 2 || color == 4 || color == 6) && (depth == 8 || depth == 16));
            if (!ok_depth)
                in.fail("PNG header with colour type " + num(std::int64_t(color)) + " and bit depth " + num(std::int64_t(depth)),
                        "a colour type and bit depth the PNG specification allows together");
            if (data[10] != 0) in.fail("PNG compression method " + num(std::int64_t(data[10])), "0 (deflate)");
            if (data[11] != 0) in.fail("PNG filter method " + num(std::int64_t(data[11])), "0 (adaptive filtering)");
            if (data[12] > 1) in.fail("PNG interlace method " + num(std::int64_t(data[12])), "0 (none) or 1 (Adam7)");
            s.width = w;
            s.height = h;
            in.dimensions(w, h, color == 0 ? 1 : color == 4 ? 2 : color == 6 ? 4 : 3);
        } else if (name == "PLTE") {
            if (plte) in.fail("PNG with a second PLTE chunk at byte " + num(pos), "at most one PLTE chunk");
            if (idat) in.fail("PNG with its PLTE chunk after its image data", "the PLTE chunk before the first IDAT chunk");
            if (len == 0 || len % 3 != 0 || len > 768)
                in.fail("PNG PLTE chunk of " + num(std::int64_t(len)) + " bytes", "1 to 256 entries of 3 bytes");
            plte = true;
            plte_entries = len / 3;
            s.plte_chunk = pos;
        } else if (name == "tRNS") {
            if (trns) in.fail("PNG with a second tRNS chunk at byte " + num(pos), "at most one tRNS chunk");
            if (idat) in.fail("PNG with its tRNS chunk after its image data", "the tRNS chunk before the first IDAT chunk");
            trns = true;
            if (color == 3) {
                if (!plte) in.fail("PNG with its tRNS chunk before its PLTE chunk", "PLTE, then tRNS");
                if (len > plte_entries)
                    in.fail("PNG tRNS chunk with " + num(std::int64_t(len)) + " alpha values for the PLTE's " +
                                num(std::int64_t(plte_entries)) + " entries",
                            "at most one alpha value per PLTE entry");
            } else if (color == 4 || color == 6) {
                in.fail("PNG with a tRNS chunk in an image that has an alpha channel",
                        "no tRNS chunk in gray+alpha or RGBA PNGs");
            } else if (len != (color == 0 ? 2u : 6u)) {
                in.fail("PNG tRNS chunk of " + num(std::int64_t(len)) + " bytes for colour type " + num(std::int64_t(color)),
                        color == 0 ? "2 bytes (one gray value)" : "6 bytes (one RGB value)");
            }
        } else if (name == "IDAT") {
            if (color == 3 && !plte)
                in.fail("palette PNG without a PLTE chunk before its image data", "a PLTE chunk before the first IDAT chunk");
            idat = true;
        } else if (is_iend) {
            if (!idat) in.fail("PNG without image data (no IDAT chunk)", "at least one IDAT chunk");
            break;
        } else if ((type[0] & 0x20) == 0) {
            in.fail("PNG with an unknown critical chunk '" + name + "' at byte " + num(pos),
                    "no critical chunks besides IHDR, PLTE, IDAT and IEND (stb_image decodes no others)");
        }
        pos = end;
    }
    const int base = color == 0 ? 1 : color == 2 ? 3 : color == 3 ? 3 : color == 4 ? 2 : 4;
    s.channels = base + ((trns && (color == 0 || color == 2 || color == 3)) ? 1 : 0);
    in.dimensions(s.width, s.height, s.channels);
    if (color == 3 && plte_entries < (1u << depth)) {
        s.short_palette = true;
        s.plte_entries = int(plte_entries);
    }
    return s;
}

/// A copy of a palette PNG whose PLTE is padded to 256 entries: entry i >= plte_entries gets
/// the colour (i, g, g). stb does not check CRCs, but the chunk gets a correct one anyway.
inline std::vector<byte> pad_palette(const input& in, const scanned& s, byte g) {
    const std::size_t at = s.plte_chunk, old_len = std::size_t(s.plte_entries) * 3;
    std::vector<byte> out;
    out.reserve(in.n + 768);
    out.insert(out.end(), in.d, in.d + at);
    const byte header[8] = {0, 0, 3, 0, 'P', 'L', 'T', 'E'};  // length 768
    out.insert(out.end(), header, header + 8);
    out.insert(out.end(), in.d + at + 8, in.d + at + 8 + old_len);
    for (int i = s.plte_entries; i < 256; ++i) {
        out.push_back(byte(i));
        out.push_back(g);
        out.push_back(g);
    }
    const std::uint32_t crc = crc32(out.data() + at + 4, 4 + 768);
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(byte((crc >> unsigned(shift)) & 255u));
    out.insert(out.end(), in.d + at + 12 + old_len, in.d + in.n);
    return out;
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
