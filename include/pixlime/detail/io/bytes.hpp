#pragma once
/// \file pixlime/detail/io/bytes.hpp
/// What every format's structural check (detail/io/<format>.hpp) shares: big- and little-endian
/// reads of the fixed-size integer fields the format specifications define (PNG, JPEG and PSD
/// are big-endian: PNG spec 7.1, ITU-T T.81 B.1.1.2, Adobe's PSD spec "file header"; BMP, GIF,
/// TGA are little-endian: Microsoft's BITMAPINFOHEADER, GIF89a section 4, TGA 2.0 "Data
/// Type 2"), the text of messages (numbers, hex bytes), the format names, `input` (the bytes
/// being decoded, and how a refusal names them) and `scanned` (what a walk found).
/// Nothing here is public API.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace pixlime {
namespace detail {
namespace io {

/// A byte of a file.
using byte = std::uint8_t;

/// The unsigned 16- and 32-bit integers at `p`, big-endian (be) or little-endian (le).
inline std::uint32_t be16(const byte* p) { return std::uint32_t(p[0]) << 8 | std::uint32_t(p[1]); }
inline std::uint32_t be32(const byte* p) { return be16(p) << 16 | be16(p + 2); }
inline std::uint32_t le16(const byte* p) { return std::uint32_t(p[1]) << 8 | std::uint32_t(p[0]); }
inline std::uint32_t le32(const byte* p) { return le16(p + 2) << 16 | le16(p); }

/// Whether the `len` bytes at `magic` are at offset `at` of the `n` bytes at `d`.
inline bool starts_with(const byte* d, std::size_t n, const char* magic, std::size_t len, std::size_t at = 0) {
    return n >= at + len && std::memcmp(d + at, magic, len) == 0;
}

/// A number as messages write it.
inline std::string num(std::int64_t v) { return std::to_string(v); }
inline std::string num(std::size_t v) { return std::to_string(v); }
/// "1 entry", "16 entries".
inline std::string count_entries(std::int64_t count) { return num(count) + (count == 1 ? " entry" : " entries"); }

/// "0a": a byte in hex; hex32: "0x0000000a".
inline std::string hex_byte(unsigned v) {
    const char* digits = "0123456789abcdef";
    return std::string{digits[(v >> 4) & 15u], digits[v & 15u]};
}
inline std::string hex32(std::uint32_t v) {
    std::string s = "0x";
    for (int shift = 24; shift >= 0; shift -= 8) s += hex_byte(unsigned(v >> unsigned(shift)) & 255u);
    return s;
}
/// Up to `count` bytes as "89 50 4e 47".
inline std::string hex_bytes(const byte* p, std::size_t size, std::size_t count) {
    std::string s;
    for (std::size_t i = 0; i < std::min(size, count); ++i) s += (i ? " " : "") + hex_byte(p[i]);
    return s;
}

/// The formats identify() tells apart.
enum class format { unknown, png, jpeg, bmp, gif, tga, psd, pnm, pic, hdr };

/// "PNG", "JPEG", ... as messages and load_options::formats name them.
inline const char* format_name(format f) {
    switch (f) {
        case format::png: return "PNG";
        case format::jpeg: return "JPEG";
        case format::bmp: return "BMP";
        case format::gif: return "GIF";
        case format::tga: return "TGA";
        case format::psd: return "PSD";
        case format::pnm: return "PNM";
        case format::pic: return "PIC";
        case format::hdr: return "Radiance HDR";
        case format::unknown: break;
    }
    return "unknown";
}

/// The bytes being decoded and how to name them in messages.
struct input {
    const byte* d;
    std::size_t n;
    std::string what;  // "decode_image" or "load_image 'path'"
    int channels;      // load_options::channels (0: as stored)
    pixlime::limits lim;  // load_options::limits

    /// The header's dimensions against the limits, before anything is decoded (an io_error
    /// for an empty image, since that is the file's fault).
    void dimensions(std::int64_t w, std::int64_t h, int stored) const {
        detail::check_dimensions(what, w, h, channels ? channels : stored, 1, lim);
    }

    /// An io_error "WHAT data = VALUE: expected EXPECTED".
    [[noreturn]] void fail(const std::string& value, const std::string& expected) const {
        throw io_error(what + " data", value, expected);
    }
    /// The file ends at n bytes where `need` (or at least `need`) are required.
    [[noreturn]] void truncated(const char* fmt, std::size_t need, bool at_least, const std::string& where) const {
        fail(std::string(fmt) + " truncated after " + num(n) + " of " + (at_least ? "at least " : "") + num(need) +
                 " bytes" + (where.empty() ? "" : " (" + where + ")"),
             "a complete image file");
    }
    /// Throws truncated() unless bytes [pos, pos + count) are in the input.
    void need(const char* fmt, std::size_t pos, std::size_t count, bool at_least, const std::string& where) const {
        if (pos > n || n - pos < count) truncated(fmt, pos + count, at_least, where);
    }
};

/// What the structural walk of a file found.
struct scanned {
    format fmt = format::unknown;
    std::int64_t width = 0, height = 0;
    /// Channels as stb reports them for the file ("as stored").
    int channels = 0;
    /// PNG palette image whose PLTE has fewer entries than its bit depth can index: the PLTE
    /// chunk's offset and entry count (indices are then checked after decoding).
    bool short_palette = false;
    std::size_t plte_chunk = 0;
    int plte_entries = 0;
    /// OS/2 1.x BMP with a palette: stb 2.27 reads only its first N - 4 entries unless 12
    /// bytes are inserted after the palette (and the pixel offset moved by 12); this is where.
    bool os2_palette = false;
    std::size_t os2_palette_end = 0;
    /// GIF: the first frame's rectangle, and the background colour of the pixels outside it
    /// when the background index is not 0 (stb 2.27 fills them with red and blue swapped).
    bool gif_background = false;
    std::uint8_t background[3] = {0, 0, 0};
    std::int64_t frame_x = 0, frame_y = 0, frame_w = 0, frame_h = 0;
};

}  // namespace io
}  // namespace detail
}  // namespace pixlime
