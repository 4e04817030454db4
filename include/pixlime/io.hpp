#pragma once
/// \file pixlime/io.hpp
/// Reading and writing image files: decode_image (bytes in memory), load_image (a file) and
/// save_png, on top of stb_image / stb_image_write.
///
/// stb_image decodes many formats but trusts its input: on truncated or corrupt files its
/// 2.27 release (Debian bookworm's) loops forever (Radiance HDR), crashes (Softimage PIC),
/// returns uninitialised memory (PNG and BMP palette indices past the palette, JPEG
/// components no scan codes) or returns an image of zeros or garbage (truncated BMP, TGA,
/// PSD, PNM and GIF files). pixlime therefore identifies the format itself from its magic
/// bytes, walks the file's structure before stb sees it (sizes, truncation, palettes,
/// markers) and only then lets stb decode the pixels. What is accepted:
///
/// | format | default | notes |
/// |--------|---------|-------|
/// | PNG    | on  | all colour types and bit depths; 16-bit samples keep their high byte (stb's conversion); palette indices past the PLTE, bad chunk CRCs and Apple's CgBI PNGs are refused |
/// | JPEG   | on  | baseline, extended and progressive Huffman-coded, 8-bit, 1, 3 or 4 (CMYK) components (no arithmetic coding, lossless, 12-bit or DNL heights) |
/// | BMP    | on  | 1, 4, 8, 16, 24 and 32 bits, uncompressed or BI_BITFIELDS, bottom-up or top-down (no RLE) |
/// | GIF    | on  | the first frame only, as RGBA: pixels the frame does not cover are the background colour (opaque) when the background index is not 0, otherwise transparent black |
/// | TGA    | off | load_options::formats.tga: uncompressed and RLE, true-colour, gray and colour-mapped |
/// | PSD    | off | load_options::formats.psd: the flattened RGB image of 8-bit (raw or RLE) or 16-bit (raw) files, always as RGBA; stb removes the white matte of semi-transparent pixels |
/// | PNM    | off | load_options::formats.pnm: binary PGM (P5) and PPM (P6) with maxval 255 |
/// | PIC    | off | load_options::formats.pic: Softimage PIC |
/// | HDR    | never | Radiance HDR: stb 2.27 never returns on a truncated HDR file, and pixlime's images are 8-bit |
///
/// The formats off by default are decoded by stb code that is rarely exercised and that
/// pixlime can guard only by re-walking the whole file; enable them only for files you trust
/// to come from a real encoder.
///
/// stb's process-wide settings are respected where they would silently change the result:
/// pixlime notices stbi_set_flip_vertically_on_load and stbi_flip_vertically_on_write (set
/// by many graphics programs) and undoes their effect, so rows always come top row first.
/// The functions keep no state of their own and may run concurrently (stb 2.27 keeps its
/// failure reason per thread).

#include <pixlime/detail/stb.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace pixlime {

/// The file formats decode_image and load_image accept; a file of a format set to false is
/// refused with a pixlime::io_error naming the format and the field that enables it.
struct image_formats {
    /// PNG (default true).
    bool png = true;
    /// JPEG / JFIF / EXIF (default true).
    bool jpeg = true;
    /// Windows and OS/2 bitmaps (default true).
    bool bmp = true;
    /// GIF, first frame only (default true).
    bool gif = true;
    /// Truevision TGA (default false: the format has no magic number, and stb's decoder is
    /// rarely exercised).
    bool tga = false;
    /// Photoshop PSD, flattened image (default false: rarely exercised stb code).
    bool psd = false;
    /// Binary PGM / PPM (default false: rarely exercised stb code).
    bool pnm = false;
    /// Softimage PIC (default false: stb 2.27 crashes on damaged PIC files; pixlime re-walks
    /// them first, but the decoder is rarely exercised).
    bool pic = false;
};

/// Options of decode_image and load_image.
struct load_options {
    /// Channels of the result: 0 (default) keeps them as stored (gray 1, gray+alpha 2, RGB 3,
    /// RGBA 4; GIF and PSD are always RGBA, JPEG is gray or RGB); 1..4 converts with stb's
    /// rules (gray = (77 R + 150 G + 29 B) >> 8, a missing alpha is 255, a dropped one is
    /// discarded, gray to RGB repeats the value).
    int channels = 0;
    /// Formats accepted (default: PNG, JPEG, BMP and GIF).
    image_formats formats;
    /// Size limits of the decoded image (default pixlime::limits{}): checked against the
    /// dimensions in the file's header before anything is decoded.
    pixlime::limits limits;
    /// Largest input accepted, in bytes (default 2^30 = 1 GiB, a bound on the memory a file
    /// can take before its header is even read): decode_image refuses more bytes, load_image
    /// a larger file before reading it. stb takes at most 2^31 - 1 bytes, whatever this says.
    std::int64_t max_file_bytes = std::int64_t{1} << 30;
};

namespace detail {
namespace io {

using byte = std::uint8_t;

inline std::uint32_t be16(const byte* p) { return std::uint32_t(p[0]) << 8 | std::uint32_t(p[1]); }
inline std::uint32_t be32(const byte* p) { return be16(p) << 16 | be16(p + 2); }
inline std::uint32_t le16(const byte* p) { return std::uint32_t(p[1]) << 8 | std::uint32_t(p[0]); }
inline std::uint32_t le32(const byte* p) { return le16(p + 2) << 16 | le16(p); }

inline std::string num(std::int64_t v) { return std::to_string(v); }
inline std::string num(std::size_t v) { return std::to_string(v); }
/// "1 entry", "16 entries".
inline std::string count_entries(std::int64_t count) { return num(count) + (count == 1 ? " entry" : " entries"); }

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

/// CRC-32 (ISO-HDLC, as PNG uses), bitwise table built once.
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

enum class format { unknown, png, jpeg, bmp, gif, tga, psd, pnm, pic, hdr };

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

/// "PNG, JPEG, BMP or GIF": the formats `f` enables.
inline std::string enabled_list(const image_formats& f) {
    std::vector<std::string> names;
    if (f.png) names.emplace_back("PNG");
    if (f.jpeg) names.emplace_back("JPEG");
    if (f.bmp) names.emplace_back("BMP");
    if (f.gif) names.emplace_back("GIF");
    if (f.tga) names.emplace_back("TGA");
    if (f.psd) names.emplace_back("PSD");
    if (f.pnm) names.emplace_back("PNM");
    if (f.pic) names.emplace_back("PIC");
    if (names.empty()) return "a format enabled in load_options::formats (all are disabled)";
    std::string s = names[0];
    for (std::size_t i = 1; i < names.size(); ++i) s += (i + 1 == names.size() ? " or " : ", ") + names[i];
    return s;
}

/// The bytes being decoded and how to name them in messages.
struct input {
    const byte* d;
    std::size_t n;
    std::string what;  // "decode_image" or "load_image 'path'"
    const load_options* opt;

    /// The header's dimensions against the limits, before anything is decoded (an io_error
    /// for an empty image, since that is the file's fault).
    void dimensions(std::int64_t w, std::int64_t h, int stored) const {
        detail::check_dimensions(what, w, h, opt->channels ? opt->channels : stored, 1, opt->limits);
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

// ---------------------------------------------------------------------------------------------
// Identification
// ---------------------------------------------------------------------------------------------

/// Mirrors stb's TGA test (the format has no magic number).
inline bool looks_like_tga(const byte* d, std::size_t n) {
    if (n < 18) return false;
    const unsigned cmap = d[1], type = d[2];
    if (cmap > 1) return false;
    if (cmap == 1) {
        if (type != 1 && type != 9) return false;
        const unsigned entry_bits = d[7];
        if (entry_bits != 8 && entry_bits != 15 && entry_bits != 16 && entry_bits != 24 && entry_bits != 32)
            return false;
    } else if (type != 2 && type != 3 && type != 10 && type != 11) {
        return false;
    }
    if (le16(d + 12) < 1 || le16(d + 14) < 1) return false;
    const unsigned bpp = d[16];
    if (cmap == 1 && bpp != 8 && bpp != 16) return false;
    return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

inline bool starts_with(const byte* d, std::size_t n, const char* magic, std::size_t len, std::size_t at = 0) {
    return n >= at + len && std::memcmp(d + at, magic, len) == 0;
}

/// The format of the bytes, by the same magic numbers stb tests (so that the decoder stb
/// picks is the one pixlime checked the file for).
inline format identify(const byte* d, std::size_t n) {
    if (starts_with(d, n, "\x89PNG\r\n\x1a\n", 8)) return format::png;
    if (starts_with(d, n, "BM", 2)) return format::bmp;
    if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6)) return format::gif;
    if (starts_with(d, n, "8BPS", 4)) return format::psd;
    if (starts_with(d, n, "\x53\x80\xf6\x34", 4) && (n < 92 || starts_with(d, n, "PICT", 4, 88))) return format::pic;
    if (n >= 2 && d[0] == 0xff) {  // stb skips 0xff fill bytes before the SOI marker
        std::size_t i = 1;
        while (i < n && d[i] == 0xff) ++i;
        if (i < n && d[i] == 0xd8) return format::jpeg;
    }
    if (n >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) return format::pnm;
    if (starts_with(d, n, "#?RADIANCE", 10) || starts_with(d, n, "#?RGBE", 6)) return format::hdr;
    if (looks_like_tga(d, n)) return format::tga;
    return format::unknown;
}

/// A description of bytes that are no supported format, naming common formats stb does not
/// decode.
inline std::string unknown_description(const byte* d, std::size_t n) {
    if (n == 0) return "0 bytes: an empty file";
    const char* name = nullptr;
    if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) name = "a TIFF file";
    else if (starts_with(d, n, "RIFF", 4) && starts_with(d, n, "WEBP", 4, 8)) name = "a WebP file";
    else if (starts_with(d, n, "ftyp", 4, 4)) name = "an ISO media file (HEIF, AVIF, MP4, ...)";
    else if (starts_with(d, n, "\0\0\0\x0cjP  ", 8) || starts_with(d, n, "\xff\x4f\xff\x51", 4)) name = "a JPEG 2000 file";
    else if (starts_with(d, n, "\0\0\1\0", 4)) name = "a Windows icon (ICO)";
    else if (starts_with(d, n, "%PDF", 4)) name = "a PDF file";
    else if (starts_with(d, n, "\x1f\x8b", 2)) name = "a gzip file";
    else if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7') name = "a PNM file of a kind stb does not decode (only binary P5 and P6 are)";
    else if (n >= 2 && d[0] == 'B' && d[1] == 'M') name = "a BMP file";  // not reached: identified above
    const std::string start = "(first bytes " + hex_bytes(d, n, 8) + ")";
    if (name) return std::string(name) + " " + start;
    return "not an image: the first bytes (" + hex_bytes(d, n, 8) + ") match no supported format";
}

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// JPEG
// ---------------------------------------------------------------------------------------------

inline std::string jpeg_marker_name(unsigned m) {
    switch (m) {
        case 0xc4: return "DHT";
        case 0xdb: return "DQT";
        case 0xdd: return "DRI";
        case 0xda: return "SOS";
        case 0xfe: return "COM";
        case 0xdc: return "DNL";
        default: break;
    }
    if (m >= 0xe0 && m <= 0xef) return "APP" + num(std::int64_t(m - 0xe0));
    if (m >= 0xc0 && m <= 0xcf) return "SOF" + num(std::int64_t(m - 0xc0));
    return "0x" + hex_byte(m);
}

inline scanned scan_jpeg(const input& in) {
    scanned s;
    s.fmt = format::jpeg;
    const byte* d = in.d;
    const std::size_t n = in.n;
    struct component {
        unsigned id = 0, h = 1, v = 1, tq = 0;
        bool coded = false;
    };
    component comp[4];
    unsigned nf = 0, hmax = 1, vmax = 1, width = 0, height = 0;
    bool sof = false, progressive = false, dqt[4] = {}, dc[4] = {}, ac[4] = {};
    std::uint32_t restart = 0;
    const std::string eoi_missing = "no EOI marker";

    std::size_t pos = 0;
    while (d[pos] == 0xff) ++pos;  // identify() saw 0xff ... 0xd8
    ++pos;
    bool tolerate_padding = false;  // stb skips stray bytes between segments before SOF, not after
    for (;;) {
        if (pos >= n) in.truncated("JPEG", n + 2, true, eoi_missing);
        if (d[pos] != 0xff) {
            if (tolerate_padding) {
                ++pos;
                continue;
            }
            in.fail("JPEG with byte 0x" + hex_byte(d[pos]) + " at byte " + num(pos) + " where a marker should start",
                    "a marker (0xff) after each segment (the file is corrupt)");
        }
        const std::size_t at = pos;
        while (pos < n && d[pos] == 0xff) ++pos;
        if (pos >= n) in.truncated("JPEG", n + 1, true, eoi_missing);
        const unsigned m = d[pos++];
        if (m == 0xd9) {  // EOI
            if (!sof) in.fail("JPEG with an EOI marker but no frame header (SOF)", "a frame header and scans before EOI");
            break;
        }
        const bool sof_supported = m == 0xc0 || m == 0xc1 || m == 0xc2;
        const bool sof_other = (m >= 0xc3 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) || m == 0xf7;
        const bool segment = sof_supported || sof_other || m == 0xc4 || m == 0xdb || m == 0xdd || m == 0xda ||
                             m == 0xdc || m == 0xfe || (m >= 0xe0 && m <= 0xef);
        if (!segment || (m == 0xda && !sof) || (m == 0xdc && !sof) || (sof_supported && sof))
            in.fail("JPEG with an unexpected marker " + (m == 0xda ? std::string("SOS") : sof_supported ? "SOF" : "0x" + hex_byte(m)) +
                        " at byte " + num(at),
                    sof_supported ? "one frame header (SOF)" : "the markers of a baseline or progressive JPEG in order");
        if (sof_other)
            in.fail("JPEG coded as " + jpeg_marker_name(m) + " (lossless, hierarchical or arithmetic coding)",
                    "a baseline, extended or progressive Huffman-coded JPEG (SOF0, SOF1 or SOF2; stb_image decodes no other)");
        const std::string seg = jpeg_marker_name(m) + " segment at byte " + num(at);
        in.need("JPEG", pos, 2, true, "the " + seg + " is cut short");
        const std::size_t len = be16(d + pos);
        if (len < 2) in.fail("JPEG " + seg + " of length " + num(len), "a length of at least 2");
        in.need("JPEG", pos, len, true, "the " + seg + " is cut short");
        const byte* p = d + pos + 2;
        const std::size_t body = len - 2;
        const std::size_t seg_end = pos + len;
        if (m == 0xc4) {  // DHT: tables of 1 + 16 + n bytes, exactly filling the segment
            std::size_t i = 0;
            while (i < body) {
                if (body - i < 17) in.fail("JPEG " + seg + " whose last table is cut short", "whole Huffman tables");
                const unsigned tc = p[i] >> 4, th = p[i] & 15u;
                if (tc > 1 || th > 3)
                    in.fail("JPEG " + seg + " defining table class " + num(std::int64_t(tc)) + " number " + num(std::int64_t(th)),
                            "class 0 (DC) or 1 (AC) and number 0 to 3");
                unsigned total = 0, code = 0;
                for (unsigned bits = 1; bits <= 16; ++bits) {
                    const unsigned count = p[i + bits];
                    total += count;
                    code += count;
                    if (code > (1u << bits))
                        in.fail("JPEG " + seg + " with more codes of " + num(std::int64_t(bits)) + " bits than fit",
                                "a valid Huffman table (the file is corrupt)");
                    code <<= 1;
                }
                if (total > 256) in.fail("JPEG " + seg + " with " + num(std::int64_t(total)) + " symbols", "at most 256 symbols a table");
                if (body - i - 17 < total) in.fail("JPEG " + seg + " whose last table is cut short", "whole Huffman tables");
                (tc == 0 ? dc : ac)[th] = true;
                i += 17 + total;
            }
        } else if (m == 0xdb) {  // DQT
            std::size_t i = 0;
            while (i < body) {
                const unsigned pq = p[i] >> 4, tq = p[i] & 15u;
                if (pq > 1 || tq > 3)
                    in.fail("JPEG " + seg + " defining table " + num(std::int64_t(tq)) + " of precision " + num(std::int64_t(pq)),
                            "precision 0 or 1 and number 0 to 3");
                const std::size_t size = pq ? 129 : 65;
                if (body - i < size) in.fail("JPEG " + seg + " whose last table is cut short", "whole quantisation tables");
                dqt[tq] = true;
                i += size;
            }
        } else if (m == 0xdd) {  // DRI
            if (len != 4) in.fail("JPEG " + seg + " of length " + num(len), "a length of 4");
            restart = be16(p);
        } else if (m == 0xdc) {  // DNL
            if (len != 4 || be16(p) != height)
                in.fail("JPEG " + seg + " giving a height of " + num(std::int64_t(len == 4 ? be16(p) : 0)),
                        "a DNL of length 4 repeating the frame's height " + num(std::int64_t(height)));
        } else if (sof_supported) {
            if (len < 11) in.fail("JPEG " + seg + " of length " + num(len), "at least 11 bytes");
            if (p[0] != 8)
                in.fail("JPEG with " + num(std::int64_t(p[0])) + "-bit samples", "8-bit samples (stb_image decodes no 12- or 16-bit JPEG)");
            height = be16(p + 1);
            width = be16(p + 3);
            nf = p[5];
            if (height == 0)
                in.fail("JPEG whose frame header gives a height of 0 (set later by a DNL marker)",
                        "the height in the frame header (stb_image does not read DNL heights)");
            if (width == 0) in.fail("JPEG frame header with a width of 0", "an image of at least 1x1 pixels");
            if (nf != 1 && nf != 3 && nf != 4)
                in.fail("JPEG with " + num(std::int64_t(nf)) + " components", "1 (gray), 3 (YCbCr or RGB) or 4 (CMYK) components");
            if (len != 8 + 3 * nf) in.fail("JPEG " + seg + " of length " + num(len), "8 + 3 x " + num(std::int64_t(nf)) + " bytes");
            for (unsigned c = 0; c < nf; ++c) {
                comp[c].id = p[6 + 3 * c];
                comp[c].h = p[7 + 3 * c] >> 4;
                comp[c].v = p[7 + 3 * c] & 15u;
                comp[c].tq = p[8 + 3 * c];
                if (comp[c].h < 1 || comp[c].h > 4 || comp[c].v < 1 || comp[c].v > 4 || comp[c].tq > 3)
                    in.fail("JPEG component " + num(std::int64_t(c)) + " with sampling " + num(std::int64_t(comp[c].h)) + "x" +
                                num(std::int64_t(comp[c].v)) + " and quantisation table " + num(std::int64_t(comp[c].tq)),
                            "sampling factors 1 to 4 and a table 0 to 3");
                hmax = std::max(hmax, comp[c].h);
                vmax = std::max(vmax, comp[c].v);
            }
            for (unsigned c = 0; c < nf; ++c)
                if (hmax % comp[c].h != 0 || vmax % comp[c].v != 0)
                    in.fail("JPEG component " + num(std::int64_t(c)) + " sampled " + num(std::int64_t(comp[c].h)) + "x" +
                                num(std::int64_t(comp[c].v)) + " beside " + num(std::int64_t(hmax)) + "x" + num(std::int64_t(vmax)),
                            "sampling factors that divide the largest ones (stb_image resamples by whole ratios only)");
            sof = true;
            progressive = m == 0xc2;
            s.width = width;
            s.height = height;
            s.channels = nf >= 3 ? 3 : 1;
            in.dimensions(width, height, s.channels);
        } else if (m == 0xda) {  // SOS, then entropy-coded data up to the next marker
            const unsigned ns = body >= 1 ? p[0] : 0;
            if (ns < 1 || ns > 4 || ns > nf || len != 6 + 2 * ns)
                in.fail("JPEG " + seg + " for " + num(std::int64_t(ns)) + " components in " + num(len) + " bytes",
                        "1 to " + num(std::int64_t(nf)) + " components in 6 + 2 per component bytes");
            const unsigned ss = p[1 + 2 * ns], se = p[2 + 2 * ns], ah = p[3 + 2 * ns] >> 4, al = p[3 + 2 * ns] & 15u;
            if (progressive ? (ss > 63 || se > 63 || ss > se || ah > 13 || al > 13 || (ns > 1 && ss != 0))
                            : (ss != 0 || ah != 0 || al != 0))
                in.fail("JPEG " + seg + " with spectral selection " + num(std::int64_t(ss)) + ".." + num(std::int64_t(se)) +
                            " and approximation " + num(std::int64_t(ah)) + "/" + num(std::int64_t(al)),
                        progressive ? "a valid progressive scan" : "0..63 and 0/0 in a sequential JPEG");
            unsigned which[4] = {};
            for (unsigned k = 0; k < ns; ++k) {
                const unsigned id = p[1 + 2 * k], hd = p[2 + 2 * k] >> 4, ha = p[2 + 2 * k] & 15u;
                unsigned c = 0;
                while (c < nf && comp[c].id != id) ++c;  // stb takes the first component of that id
                if (c == nf) in.fail("JPEG " + seg + " naming component id " + num(std::int64_t(id)), "a component of the frame");
                which[k] = c;
                if (hd > 3 || ha > 3)
                    in.fail("JPEG " + seg + " using Huffman tables " + num(std::int64_t(hd)) + "/" + num(std::int64_t(ha)), "tables 0 to 3");
                const bool needs_dc = progressive ? (ss == 0 && ah == 0) : true, needs_ac = progressive ? ss > 0 : true;
                if ((needs_dc && !dc[hd]) || (needs_ac && !ac[ha]))
                    in.fail("JPEG " + seg + " using a Huffman table no DHT segment defined", "tables defined before the scan");
                if (!progressive && !dqt[comp[c].tq])
                    in.fail("JPEG " + seg + " for a component whose quantisation table no DQT segment defined",
                            "tables defined before the scan");
            }
            // Entropy-coded data: up to a marker other than RSTn, 0xff 0x00 being a data byte.
            std::size_t q = seg_end, restarts = 0;
            for (;;) {
                const void* ff = q < n ? std::memchr(d + q, 0xff, n - q) : nullptr;
                if (!ff) in.truncated("JPEG", n + 2, true, "the scan at byte " + num(at) + " has no end: " + eoi_missing);
                q = std::size_t(static_cast<const byte*>(ff) - d);
                std::size_t r = q + 1;
                while (r < n && d[r] == 0xff) ++r;
                if (r >= n) in.truncated("JPEG", n + 1, true, "the scan at byte " + num(at) + " has no end: " + eoi_missing);
                if (d[r] == 0) {
                    q = r + 1;
                } else if (d[r] >= 0xd0 && d[r] <= 0xd7) {
                    ++restarts;
                    q = r + 1;
                } else {
                    break;
                }
            }
            if (restart > 0) {
                std::size_t units;
                if (ns == 1) {
                    const component& c = comp[which[0]];
                    const std::size_t cx = (std::size_t(width) * c.h + hmax - 1) / hmax, cy = (std::size_t(height) * c.v + vmax - 1) / vmax;
                    units = ((cx + 7) / 8) * ((cy + 7) / 8);
                } else {
                    units = ((std::size_t(width) + 8 * hmax - 1) / (8 * hmax)) * ((std::size_t(height) + 8 * vmax - 1) / (8 * vmax));
                }
                const std::size_t expected = (units + restart - 1) / restart - 1;
                if (restarts < expected)
                    in.fail("JPEG scan at byte " + num(at) + " with " + num(restarts) + " restart markers where its " + num(units) +
                                " MCUs at a restart interval of " + num(std::int64_t(restart)) + " need " + num(expected),
                            "a restart marker after every interval (the scan is damaged or cut short)");
            }
            for (unsigned k = 0; k < ns; ++k)
                if (!progressive || (ss == 0 && ah == 0)) comp[which[k]].coded = true;
            pos = q;
            continue;
        }
        pos = seg_end;
        if (!sof) tolerate_padding = true;
        if (sof) tolerate_padding = false;
    }
    for (unsigned c = 0; c < nf; ++c) {
        if (!comp[c].coded)
            in.fail("JPEG whose scans never code component " + num(std::int64_t(c)) + (progressive ? "'s DC coefficients" : ""),
                    "a scan for every component (stb_image would return uninitialised memory)");
        if (!dqt[comp[c].tq])
            in.fail("JPEG component " + num(std::int64_t(c)) + " whose quantisation table no DQT segment defined", "a DQT for every table used");
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// BMP
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// GIF
// ---------------------------------------------------------------------------------------------

/// Sub-blocks from `pos` up to and including the 0 terminator; returns the position after it.
inline std::size_t skip_sub_blocks(const input& in, std::size_t pos, const std::string& where) {
    for (;;) {
        in.need("GIF", pos, 1, true, where);
        const std::size_t len = in.d[pos];
        ++pos;
        if (len == 0) return pos;
        in.need("GIF", pos, len, true, where);
        pos += len;
    }
}

/// Runs stb's LZW decoder on the first frame without producing pixels: counts them and the
/// largest colour index, and fails where stb would, or where the data runs out.
inline std::size_t gif_first_frame(const input& in, std::size_t pos, std::int64_t pixels, unsigned table_entries) {
    const std::string where = "the first frame's image data is cut short";
    in.need("GIF", pos, 1, true, where);
    const unsigned lzw_cs = in.d[pos++];
    if (lzw_cs > 8) in.fail("GIF whose first frame has an LZW code size of " + num(std::int64_t(lzw_cs)), "at most 8");
    std::vector<std::uint32_t> length(8192);
    std::vector<std::uint16_t> first(8192), largest(8192);
    const unsigned clear = 1u << lzw_cs;
    for (unsigned c = 0; c < clear; ++c) {
        length[c] = 1;
        first[c] = largest[c] = std::uint16_t(c);
    }
    unsigned codesize = lzw_cs + 1, codemask = (1u << codesize) - 1, avail = clear + 2, bits = 0, valid = 0;
    int oldcode = -1;
    bool started = false;
    std::size_t block = 0;
    std::int64_t drawn = 0;
    const std::string corrupt = "a valid LZW stream (the file is corrupt)";
    for (;;) {
        if (valid < codesize) {
            if (block == 0) {
                in.need("GIF", pos, 1, true, where);
                block = in.d[pos++];
                if (block == 0) break;
            }
            --block;
            in.need("GIF", pos, 1, true, where);
            bits |= unsigned(in.d[pos++]) << valid;
            valid += 8;
            continue;
        }
        const unsigned code = bits & codemask;
        bits >>= codesize;
        valid -= codesize;
        if (code == clear) {
            codesize = lzw_cs + 1;
            codemask = (1u << codesize) - 1;
            avail = clear + 2;
            oldcode = -1;
            started = true;
        } else if (code == clear + 1) {  // end of information: stb skips the rest of the data
            in.need("GIF", pos, block, true, where);
            pos = skip_sub_blocks(in, pos + block, where);
            break;
        } else if (code <= avail) {
            if (!started) in.fail("GIF whose first frame's LZW data does not start with a clear code", corrupt);
            if (oldcode >= 0) {
                const unsigned p = avail++;
                if (avail > 8192) in.fail("GIF whose first frame's LZW data defines more than 8192 codes", corrupt);
                const unsigned old = unsigned(oldcode);
                length[p] = length[old] + 1;
                first[p] = first[old];
                largest[p] = std::max(largest[old], code == p ? first[old] : first[code]);
            } else if (code == avail) {
                in.fail("GIF whose first frame's LZW data uses code " + num(std::int64_t(code)) + " before defining it", corrupt);
            }
            if (largest[code] >= table_entries)
                in.fail("GIF colour index " + num(std::int64_t(largest[code])) + " outside the colour table's " +
                            count_entries(table_entries),
                        "every pixel's colour index below " + num(std::int64_t(table_entries)));
            drawn += length[code];
            if ((avail & codemask) == 0 && avail <= 0x0fff) {
                ++codesize;
                codemask = (1u << codesize) - 1;
            }
            oldcode = int(code);
        } else {
            in.fail("GIF whose first frame's LZW data uses code " + num(std::int64_t(code)) + " before defining it", corrupt);
        }
    }
    if (drawn < pixels)
        in.fail("GIF whose first frame's image data ends after " + num(drawn) + " of its " + num(pixels) + " pixels",
                "image data for every pixel of the frame (the file is damaged)");
    return pos;
}

inline scanned scan_gif(const input& in) {
    scanned s;
    s.fmt = format::gif;
    const byte* d = in.d;
    in.need("GIF", 0, 13, true, "the screen descriptor is cut short");
    const std::int64_t sw = le16(d + 6), sh = le16(d + 8);
    const unsigned flags = d[10], bg = d[11];
    if (sw == 0 || sh == 0)
        in.fail("GIF screen of " + num(sw) + "x" + num(sh) + " pixels", "an image of at least 1x1 pixels");
    s.width = sw;
    s.height = sh;
    s.channels = 4;
    in.dimensions(sw, sh, 4);
    std::size_t pos = 13;
    const unsigned global_entries = (flags & 0x80) ? 2u << (flags & 7u) : 0;
    in.need("GIF", pos, 3 * std::size_t(global_entries), true, "the global colour table is cut short");
    pos += 3 * std::size_t(global_entries);
    int frames = 0;
    for (;;) {
        in.need("GIF", pos, 1, true, "no trailer (0x3b) after the last block");
        const unsigned tag = d[pos];
        const std::size_t at = pos++;
        if (tag == 0x3b) {
            if (frames == 0) in.fail("GIF without any image", "at least one image before the trailer");
            break;
        }
        if (tag == 0x21) {
            in.need("GIF", pos, 1, true, "the extension at byte " + num(at) + " is cut short");
            const unsigned label = d[pos++];
            if (label == 0xf9) {  // graphic control: stb reads 4 bytes, then the sub-blocks
                in.need("GIF", pos, 1, true, "the extension at byte " + num(at) + " is cut short");
                if (d[pos] != 4)
                    in.fail("GIF graphic control extension at byte " + num(at) + " of " + num(std::int64_t(d[pos])) + " bytes",
                            "4 bytes (stb_image would misread the file)");
                in.need("GIF", pos, 5, true, "the extension at byte " + num(at) + " is cut short");
                pos += 5;
            }
            pos = skip_sub_blocks(in, pos, "the extension at byte " + num(at) + " is cut short");
        } else if (tag == 0x2c) {
            in.need("GIF", pos, 9, true, "the image descriptor at byte " + num(at) + " is cut short");
            const std::int64_t x = le16(d + pos), y = le16(d + pos + 2), w = le16(d + pos + 4), h = le16(d + pos + 6);
            const unsigned lflags = d[pos + 8];
            pos += 9;
            if (x + w > sw || y + h > sh)
                in.fail("GIF frame of " + num(w) + "x" + num(h) + " at (" + num(x) + ", " + num(y) + ") outside its " + num(sw) +
                            "x" + num(sh) + " screen",
                        "frames inside the screen (stb_image decodes no other)");
            const unsigned local_entries = (lflags & 0x80) ? 2u << (lflags & 7u) : 0;
            in.need("GIF", pos, 3 * std::size_t(local_entries), true, "the local colour table at byte " + num(pos) + " is cut short");
            pos += 3 * std::size_t(local_entries);
            const unsigned entries = local_entries ? local_entries : global_entries;
            if (entries == 0) in.fail("GIF frame at byte " + num(at) + " without a colour table", "a global or a local colour table");
            if (frames == 0) {
                pos = gif_first_frame(in, pos, w * h, entries);
                s.frame_x = x;
                s.frame_y = y;
                s.frame_w = w;
                s.frame_h = h;
                s.gif_background = bg > 0 && (w < sw || h < sh);
                if (bg < global_entries)  // else stb's zeroed palette: black
                    for (std::size_t k = 0; k < 3; ++k) s.background[k] = d[13 + 3 * std::size_t(bg) + k];
            }
            else
                pos = skip_sub_blocks(in, pos + 1, "the image data at byte " + num(at) + " is cut short");
            ++frames;
        } else {
            in.fail("GIF block of type 0x" + hex_byte(tag) + " at byte " + num(at),
                    "an image (0x2c), an extension (0x21) or the trailer (0x3b) (the file is corrupt)");
        }
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// TGA, PSD, PNM, PIC (off by default)
// ---------------------------------------------------------------------------------------------

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

inline scanned scan_pnm(const input& in) {
    scanned s;
    s.fmt = format::pnm;
    const byte* d = in.d;
    const std::size_t n = in.n;
    // stb's header reader, with its at-end semantics (a read at the end gives 0) and with
    // overflow checks (stb's would overflow an int).
    std::size_t pos = 2;
    auto get = [&]() -> char { return pos < n ? char(d[pos++]) : '\0'; };
    auto at_end = [&] { return pos >= n; };
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
    char c = get();
    auto skip = [&] {
        for (;;) {
            while (!at_end() && space(c)) c = get();
            if (at_end() || c != '#') break;
            while (!at_end() && c != '\n' && c != '\r') c = get();
        }
    };
    // A file that ends in its header is truncated; but once the width and height are read in
    // full (their digits ended before the file did), the size is checked against the limits
    // first, as PNG's IHDR is: a header asking for too much names the limit it exceeds.
    const char* cut = nullptr;  // the field in or before which the header ends
    bool whole = false;         // the last number's digits ended before the file
    auto integer = [&](const char* what) {
        std::int64_t v = 0;
        bool digits = false;
        while (!at_end() && c >= '0' && c <= '9') {
            v = v * 10 + (c - '0');
            digits = true;
            if (v > 0x7fffffff) in.fail(std::string("PNM header with a ") + what + " over 2^31", std::string("a ") + what + " that fits an int");
            c = get();
        }
        whole = digits && !(c >= '0' && c <= '9');
        if (!digits || at_end()) cut = what;
        return v;
    };
    auto header_cut = [&] { in.truncated("PNM", n + 1, true, std::string("the header ends in or before its ") + cut); };
    skip();
    const std::int64_t w = integer("width");
    if (cut) header_cut();
    skip();
    const std::int64_t h = integer("height");
    if (cut && !whole) header_cut();
    const int stored = d[1] == '6' ? 3 : 1;
    if (w > 0 && h > 0) in.dimensions(w, h, stored);
    if (cut) header_cut();
    skip();
    const std::int64_t maxval = integer("maxval");
    if (cut) header_cut();
    if (w == 0 || h == 0) in.fail("PNM header with a size of " + num(w) + "x" + num(h), "an image of at least 1x1 pixels");
    if (maxval != 255)
        in.fail("PNM with maxval " + num(maxval),
                "maxval 255 (stb_image 2.27 neither rescales other ranges nor reads 16-bit samples in the right byte order)");
    s.width = w;
    s.height = h;
    s.channels = stored;
    in.need("PNM", pos, std::size_t(w) * std::size_t(h) * std::size_t(s.channels), false, "");
    return s;
}

inline scanned scan_pic(const input& in) {
    scanned s;
    s.fmt = format::pic;
    const byte* d = in.d;
    const std::size_t n = in.n;
    in.need("PIC", 0, 105, true, "the header is cut short");
    const std::int64_t w = be16(d + 92), h = be16(d + 94);
    if (w == 0 || h == 0) in.fail("PIC header with a size of " + num(w) + "x" + num(h), "an image of at least 1x1 pixels");
    s.width = w;
    s.height = h;
    // stb's reader: a read at the end gives 0, and it checks for the end only at some points.
    std::size_t pos = 104;
    auto get = [&]() -> unsigned { return pos < n ? d[pos++] : 0u; };
    auto at_end = [&] { return pos >= n; };
    struct packet {
        unsigned type, channel;
    };
    std::vector<packet> packets;
    unsigned all = 0;
    for (bool chained = true; chained;) {
        if (packets.size() == 10) in.fail("PIC with more than 10 channel packets", "at most 10 packets");
        chained = get() != 0;
        const unsigned size = get(), type = get(), channel = get();
        if (at_end()) in.truncated("PIC", n + 1, true, "its packet list is cut short");
        if (size != 8) in.fail("PIC packet of " + num(std::int64_t(size)) + " bits", "8-bit packets");
        if (type > 2) in.fail("PIC packet of compression type " + num(std::int64_t(type)), "0 (raw), 1 (RLE) or 2 (mixed RLE)");
        packets.push_back({type, channel});
        all |= channel;
    }
    s.channels = (all & 0x10) ? 4 : 3;
    in.dimensions(w, h, s.channels);
    unsigned y = 0;
    auto short_at = [&](const char* what) {
        in.truncated("PIC", n + 1, true, std::string(what) + " of row " + num(std::int64_t(y)) + " of " + num(h) + " is cut short");
    };
    auto value = [&](unsigned channel) {
        for (unsigned mask = 0x80; mask >= 0x10; mask >>= 1)
            if (channel & mask) {
                if (at_end()) short_at("the pixel data");
                get();
            }
    };
    for (; std::int64_t(y) < h; ++y) {
        for (const packet& p : packets) {
            std::int64_t left = w;
            if (p.type == 0) {
                for (; left > 0; --left) value(p.channel);
            } else if (p.type == 1) {
                while (left > 0) {
                    std::int64_t count = get();
                    if (at_end()) short_at("the RLE data");
                    if (count > left) count = left;
                    value(p.channel);
                    left -= count;
                }
            } else {
                while (left > 0) {
                    std::int64_t count = get();
                    if (at_end()) short_at("the RLE data");
                    if (count >= 128) {
                        if (count == 128) {
                            const unsigned high = get(), low = get();
                            count = std::int64_t(high << 8 | low);
                        } else {
                            count -= 127;
                        }
                        if (count > left) in.fail("PIC RLE run past the end of row " + num(std::int64_t(y)), "runs within their row");
                        value(p.channel);
                    } else {
                        ++count;
                        if (count > left) in.fail("PIC RLE run past the end of row " + num(std::int64_t(y)), "runs within their row");
                        for (std::int64_t i = 0; i < count; ++i) value(p.channel);
                    }
                    left -= count;
                }
            }
        }
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Decoding with stb
// ---------------------------------------------------------------------------------------------

struct stb_free {
    void operator()(stbi_uc* p) const { stbi_image_free(p); }
};
using stb_buffer = std::unique_ptr<stbi_uc, stb_free>;

struct decoded {
    stb_buffer pixels;
    int width = 0, height = 0, channels = 0;  // channels of the buffer
    int stored = 0;                           // channels stb reports for the file
};

/// Whether stb currently flips images on load (stbi_set_flip_vertically_on_load, process-wide
/// or for this thread): decodes a 1x2 BMP whose top row is white.
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

/// stb's conversion of RGBA to 1..3 channels (stbi__convert_format), for the PIC and GIF files
/// pixlime decodes as RGBA (stb 2.27 dereferences a null pointer converting a damaged PIC;
/// GIF backgrounds are corrected in RGBA).
inline void from_rgba(const stbi_uc* src, std::size_t pixels, int channels, stbi_uc* dst) {
    for (std::size_t i = 0; i < pixels; ++i, src += 4) {
        const stbi_uc y = stbi_uc((src[0] * 77 + src[1] * 150 + src[2] * 29) >> 8);
        if (channels == 1) *dst++ = y;
        if (channels == 2) *dst++ = y, *dst++ = src[3];
        if (channels >= 3) *dst++ = src[0], *dst++ = src[1], *dst++ = src[2];
        if (channels == 4) *dst++ = src[3];
    }
}

inline image<std::uint8_t> decode(const input& in, const load_options& opt) {
    if (in.d == nullptr && in.n > 0) throw invalid_argument(in.what + " data", "null", "a pointer to the file's bytes");
    if (opt.channels < 0 || opt.channels > 4)
        throw invalid_argument(in.what + " load_options.channels", opt.channels, "0 (as stored) or 1 to 4");
    if (std::int64_t(std::min<std::size_t>(in.n, std::size_t(INT64_MAX))) > opt.max_file_bytes)
        throw size_limit_error(in.what + " data", num(in.n) + " bytes",
                               "at most load_options::max_file_bytes = " + num(opt.max_file_bytes) + " bytes");
    if (in.n > std::size_t(INT_MAX))
        throw size_limit_error(in.what + " data", num(in.n) + " bytes", "at most 2^31 - 1 bytes (what stb_image takes)");

    const format f = identify(in.d, in.n);
    const image_formats& on = opt.formats;
    const bool enabled = (f == format::png && on.png) || (f == format::jpeg && on.jpeg) || (f == format::bmp && on.bmp) ||
                         (f == format::gif && on.gif) || (f == format::tga && on.tga) || (f == format::psd && on.psd) ||
                         (f == format::pnm && on.pnm) || (f == format::pic && on.pic);
    if (f == format::unknown) in.fail(unknown_description(in.d, in.n), enabled_list(on));
    if (f == format::hdr)
        in.fail("Radiance HDR file", enabled_list(on) +
                                         " (HDR is never decoded: stb 2.27's HDR decoder never returns on a truncated file, "
                                         "and pixlime images are 8-bit)");
    if (!enabled) {
        std::string field = format_name(f);
        for (char& ch : field) ch = char(ch - 'A' + 'a');
        in.fail(std::string(format_name(f)) + " file",
                enabled_list(on) + " (" + format_name(f) + " is decoded only with load_options::formats." + field + " = true)");
    }

    scanned s;
    switch (f) {
        case format::png: s = scan_png(in); break;
        case format::jpeg: s = scan_jpeg(in); break;
        case format::bmp: s = scan_bmp(in); break;
        case format::gif: s = scan_gif(in); break;
        case format::tga: s = scan_tga(in); break;
        case format::psd: s = scan_psd(in); break;
        case format::pnm: s = scan_pnm(in); break;
        default: s = scan_pic(in); break;
    }
    const int out_channels = opt.channels ? opt.channels : s.channels;

    const int req = (f == format::pic || f == format::gif) ? 4 : opt.channels;
    decoded r;
    if (s.short_palette) {
        // Indices past the PLTE read stb's uninitialised stack: decode copies whose padding
        // entries differ, and refuse the file if the results do.
        const std::vector<byte> a = pad_palette(in, s, 0), b = pad_palette(in, s, 255);
        r = call_stb(in, a.data(), a.size(), req, s);
        const decoded rb = call_stb(in, b.data(), b.size(), req, s);
        const std::size_t values = std::size_t(r.width) * std::size_t(r.height) * std::size_t(r.channels);
        if (std::memcmp(r.pixels.get(), rb.pixels.get(), values) != 0) {
            const decoded ra3 = call_stb(in, a.data(), a.size(), 3, s), rb3 = call_stb(in, b.data(), b.size(), 3, s);
            std::size_t i = 0;
            while (ra3.pixels.get()[3 * i + 1] == rb3.pixels.get()[3 * i + 1]) ++i;
            const int index = ra3.pixels.get()[3 * i];
            in.fail("PNG palette index " + num(std::int64_t(index)) + " outside the PLTE's " + count_entries(s.plte_entries),
                    "every pixel's palette index below " + num(std::int64_t(s.plte_entries)));
        }
    } else if (s.os2_palette) {
        const std::vector<byte> padded = pad_os2_palette(in, s);
        r = call_stb(in, padded.data(), padded.size(), req, s);
    } else {
        r = call_stb(in, in.d, in.n, req, s);
    }

    if (s.gif_background) {  // as stb means it, in the right channel order: opaque background colour
        for (std::int64_t y = 0; y < s.height; ++y)
            for (std::int64_t x = 0; x < s.width; ++x) {
                if (x >= s.frame_x && x < s.frame_x + s.frame_w && y >= s.frame_y && y < s.frame_y + s.frame_h) continue;
                stbi_uc* p = r.pixels.get() + 4 * std::size_t(y * s.width + x);
                p[0] = s.background[0];
                p[1] = s.background[1];
                p[2] = s.background[2];
                p[3] = 255;
            }
    }
    image<std::uint8_t> out(r.width, r.height, out_channels, 0, opt.limits);
    const std::size_t row = std::size_t(r.width) * std::size_t(out_channels);
    const bool flipped = stb_flips_on_load();
    for (int y = 0; y < r.height; ++y) {
        const int src_y = flipped ? r.height - 1 - y : y;
        const stbi_uc* src = r.pixels.get() + std::size_t(src_y) * std::size_t(r.width) * std::size_t(r.channels);
        std::uint8_t* dst = out.data() + std::size_t(y) * row;
        if (r.channels == out_channels)
            std::memcpy(dst, src, row);
        else
            from_rgba(src, std::size_t(r.width), out_channels, dst);
    }
    return out;
}

struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

inline std::string quoted(const std::string& path) { return "'" + path + "'"; }

inline std::string os_reason(int err) { return err ? std::strerror(err) : "unknown error"; }

}  // namespace io
}  // namespace detail

/// Decodes an image file held in memory: `size` bytes at `data` (a PNG, JPEG, BMP or GIF by
/// default; see image_formats and the table at the top of this header), into a packed 8-bit
/// HWC image, top row first, of the file's width and height and `options.channels` channels
/// (0: as stored). The format is recognised from its magic bytes (not from a file name); the
/// file's structure is checked before decoding, and the dimensions in its header against
/// `options.limits` before anything is allocated. Bytes after the end of the image (after a
/// PNG's IEND, a JPEG's EOI, a GIF's trailer) are ignored.
/// Throws pixlime::invalid_argument for a null `data` with `size` > 0 or channels outside
/// 0..4; pixlime::size_limit_error over options.limits or options.max_file_bytes (or 2^31 - 1
/// bytes); pixlime::io_error, naming "decode_image data" and what is wrong with it, for
/// anything that is not a complete, valid file of an enabled format (unknown or disabled
/// format, truncated, corrupt, palette indices past the palette, ...).
inline image<std::uint8_t> decode_image(const std::uint8_t* data, std::size_t size, const load_options& options = {}) {
    return detail::io::decode({data, size, "decode_image", &options}, options);
}

/// decode_image(data.data(), data.size(), options).
inline image<std::uint8_t> decode_image(const std::vector<std::uint8_t>& data, const load_options& options = {}) {
    return detail::io::decode({data.data(), data.size(), "decode_image", &options}, options);
}

/// Reads the file at `path` into memory and decodes it as decode_image does (messages then
/// name "load_image 'PATH'"). A file larger than options.max_file_bytes is refused before it
/// is read.
/// Throws pixlime::io_error when the file cannot be opened or read (with the system's
/// reason), and everything decode_image throws.
inline image<std::uint8_t> load_image(const std::string& path, const load_options& options = {}) {
    using namespace detail::io;
    const std::string what = "load_image " + quoted(path);
    if (options.channels < 0 || options.channels > 4)
        throw invalid_argument(what + " load_options.channels", options.channels, "0 (as stored) or 1 to 4");
    errno = 0;
    file_ptr f(std::fopen(path.c_str(), "rb"));
    if (!f) throw io_error("load_image path", quoted(path), "an existing, readable file (" + os_reason(errno) + ")");
    const std::int64_t cap = std::min<std::int64_t>(options.max_file_bytes, INT_MAX);
    const std::string bound = cap == options.max_file_bytes ? "load_options::max_file_bytes = " + std::to_string(cap)
                                                            : std::to_string(cap) + " (what stb_image takes)";
    std::vector<std::uint8_t> bytes;
    std::vector<std::uint8_t> chunk(std::size_t{1} << 16);
    for (bool first = true;; first = false) {
        errno = 0;
        const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), f.get());
        if (got < chunk.size() && std::ferror(f.get()))  // e.g. a folder: "Is a directory"
            throw io_error("load_image path", quoted(path), "a readable file (" + os_reason(errno) + ")");
        bytes.insert(bytes.end(), chunk.data(), chunk.data() + got);
        if (std::int64_t(bytes.size()) > cap)
            throw size_limit_error("load_image path", quoted(path) + " of more than " + std::to_string(cap) + " bytes",
                                   "a file of at most " + bound + " bytes");
        if (got < chunk.size()) break;
        // More to come: a regular file's size is known before reading the rest (a pipe's is
        // not; reading then stops at the bound).
        if (first && std::fseek(f.get(), 0, SEEK_END) == 0) {
            const long size = std::ftell(f.get());
            if (size > 0 && std::int64_t(size) > cap)
                throw size_limit_error("load_image path", quoted(path) + " of " + std::to_string(size) + " bytes",
                                       "a file of at most " + bound + " bytes");
            if (size > 0) bytes.reserve(std::size_t(size));
            if (std::fseek(f.get(), long(got), SEEK_SET) != 0)
                throw io_error("load_image path", quoted(path), "a readable file (" + os_reason(errno) + ")");
        }
    }
    return decode({bytes.data(), bytes.size(), what, &options}, options);
}

/// load_image(path, options) with options.channels = `channels` (0: as stored, 1..4: converted).
inline image<std::uint8_t> load_image(const std::string& path, int channels) {
    if (channels < 0 || channels > 4)
        throw invalid_argument("load_image channels", channels, "0 (as stored) or 1 to 4");
    load_options options;
    options.channels = channels;
    return load_image(path, options);
}

namespace detail {
namespace io {

inline void collect(void* context, void* data, int size) {
    auto* v = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (size > 0) v->insert(v->end(), p, p + size);
}

/// Whether stb_image_write currently flips images on write (stbi_flip_vertically_on_write):
/// writes a 1x2 gray PNG and reads its scanlines back.
inline bool stb_flips_on_write() {
    const std::uint8_t px[2] = {0, 255};
    std::vector<std::uint8_t> png;
    if (!stbi_write_png_to_func(&collect, &png, 1, 2, 1, px, 1) || png.size() < 8 + 25 + 12) return false;
    const std::size_t idat = 8 + 25;  // after the signature and the IHDR chunk
    const std::uint32_t len = be32(png.data() + idat);
    if (png.size() < idat + 12 + len) return false;
    int raw_len = 0;
    std::unique_ptr<char, void (*)(void*)> raw(
        stbi_zlib_decode_malloc(reinterpret_cast<const char*>(png.data() + idat + 8), int(len), &raw_len), &std::free);
    return raw && raw_len == 4 && static_cast<unsigned char>(raw.get()[1]) == 255;  // row 0: filter byte, pixel
}

/// Writes `size` bytes to `path`; returns 0 or the errno of the failure. `direct`: into the
/// file itself (a device or FIFO); otherwise into a new sibling file (a unique name, created
/// exclusively), flushed to disk, given `mode` (an existing file's permissions, or -1) and
/// renamed over `path`; on every failure the sibling is removed. The one atomic write of
/// pixlime and its apps (save_png, write_file).
inline int write_file(const std::string& path, const void* data, std::size_t size, bool direct, long mode) {
    std::string target = path;
    file_ptr f;
    if (direct) {
        errno = 0;
        f.reset(std::fopen(path.c_str(), "wb"));
        if (!f) return errno ? errno : EIO;
    } else {
        // Created exclusively ("x": C11 / C++17) so that two writers never share one.
        static std::atomic<unsigned> counter{0};
        const auto clock = std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
        int open_error = 0;
        for (int attempt = 0; attempt < 100 && !f; ++attempt) {
            target = path + ".pixlime-" + std::to_string(clock % 1000000007u) + "-" + std::to_string(counter++) + ".tmp";
            errno = 0;
            f.reset(std::fopen(target.c_str(), "wbx"));
            open_error = errno ? errno : EIO;
            if (!f && open_error != EEXIST) break;
        }
        if (!f) return open_error;
    }
    errno = 0;
    int error = std::fwrite(data, 1, size, f.get()) == size ? 0 : (errno ? errno : EIO);
    errno = 0;
    if (error == 0 && std::fflush(f.get()) != 0) error = errno ? errno : EIO;
#if defined(__unix__) || defined(__APPLE__)
    // On disk before the rename: after a crash the file is either the old one or the new one
    // whole, never a renamed empty file (a device or FIFO cannot be synced and need not be).
    if (error == 0 && !direct && ::fsync(::fileno(f.get())) != 0) error = errno ? errno : EIO;
#endif
    errno = 0;
    if (std::fclose(f.release()) != 0 && error == 0) error = errno ? errno : EIO;
    if (direct) return error;
#if defined(__unix__) || defined(__APPLE__)
    if (error == 0 && mode >= 0 && ::chmod(target.c_str(), static_cast<mode_t>(mode)) != 0) error = errno;
#else
    (void)mode;
#endif
    if (error == 0 && std::rename(target.c_str(), path.c_str()) != 0) {
        error = errno ? errno : EIO;
#if defined(_WIN32)
        // Windows does not rename over an existing file: remove it first.
        if ((error == EEXIST || error == EACCES) && std::remove(path.c_str()) == 0 &&
            std::rename(target.c_str(), path.c_str()) == 0)
            error = 0;
#endif
    }
    if (error != 0) std::remove(target.c_str());
#if defined(__unix__) || defined(__APPLE__)
    // The rename itself on disk: sync the folder that holds the entry (best effort).
    if (error == 0) {
        const std::size_t slash = path.find_last_of('/');
        const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
        const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
        if (dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
    }
#endif
    return error;
}

/// The file status save_png and write_file need: whether to write `path` directly (an
/// existing device or FIFO) and the permissions an existing file keeps (-1: none).
inline void target_kind(const std::string& path, bool& direct, long& mode) {
    direct = false;
    mode = -1;
#if defined(__unix__) || defined(__APPLE__)
    struct ::stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        direct = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        mode = long(st.st_mode & 07777);
    }
#else
    (void)path;
#endif
}

}  // namespace io
}  // namespace detail

/// An 8-bit image of 1 to 4 channels (gray, gray+alpha, RGB, RGBA) encoded as PNG in memory (what
/// save_png writes; a service sends it as it is); any row stride is accepted.
/// Throws pixlime::invalid_argument for an empty image or more than 4 channels,
/// pixlime::size_limit_error for an image over 2^31 - 1 bytes of PNG scanlines (what
/// stb_image_write encodes), pixlime::io_error when stb_image_write cannot encode it (out of memory).
inline std::vector<std::uint8_t> encode_png(image_view<const std::uint8_t> img, const std::string& what = "encode_png") {
    using namespace detail::io;
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

/// Writes an 8-bit image of 1 to 4 channels (gray, gray+alpha, RGB, RGBA) to `path` as PNG;
/// any row stride is accepted. The PNG is encoded in memory first (encode_png), then written under a
/// temporary name in the same folder and renamed to `path` once complete: a failure leaves
/// no partial file behind, and an existing file at `path` is either replaced whole (keeping
/// its permissions) or left as it was. (An existing device or FIFO, such as /dev/stdout, is
/// written directly; a symbolic link at `path` is replaced by the new file.)
/// Throws pixlime::invalid_argument for an empty image or more than 4 channels,
/// pixlime::size_limit_error for an image over 2^31 - 1 bytes of PNG scanlines (what
/// stb_image_write encodes), pixlime::io_error naming "save_png image" when the image cannot
/// be encoded, or "save_png path" when the file cannot be written, with the system's reason ("No such file or
/// directory", "Permission denied", "No space left on device", ...).
inline void save_png(const std::string& path, image_view<const std::uint8_t> img) {
    using namespace detail::io;
    const std::vector<std::uint8_t> png = encode_png(img, "save_png");
    bool direct = false;
    long mode = -1;
    target_kind(path, direct, mode);
    if (const int error = write_file(path, png.data(), png.size(), direct, mode))
        throw io_error("save_png path", quoted(path), "a writable file path (" + os_reason(error) + ")");
}

/// save_png(path, img.view()).
inline void save_png(const std::string& path, const image<std::uint8_t>& img) { save_png(path, img.view()); }

/// Writes `size` bytes at `data` to `path` atomically, as save_png writes its PNG: into a new
/// file with a unique name in the same folder, flushed to disk (fsync), then renamed over
/// `path`, so that readers and a crash see the old file or the new one whole, never a part;
/// the temporary file is removed on every failure path, an existing file keeps its
/// permissions, and an existing device or FIFO is written directly. Throws pixlime::io_error
/// naming "write_file path" with the system's reason when the file cannot be written.
inline void write_file(const std::string& path, const void* data, std::size_t size) {
    if (path.empty()) throw io_error("write_file path", "\"\"", "a file path");
    bool direct = false;
    long mode = -1;
    detail::io::target_kind(path, direct, mode);
    if (const int error = detail::io::write_file(path, data, size, direct, mode))
        throw io_error("write_file path", detail::io::quoted(path), "a writable file path (" + detail::io::os_reason(error) + ")");
}

/// write_file(path, text.data(), text.size()).
inline void write_file(const std::string& path, const std::string& text) { write_file(path, text.data(), text.size()); }

}  // namespace pixlime
