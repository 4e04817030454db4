#pragma once
// Helpers of the tests of pixlime/io.hpp (test_io.cpp, test_io_png.cpp, test_io_jpeg.cpp,
// test_io_bmp.cpp, test_io_gif.cpp, test_io_tga_psd_pnm_pic.cpp), one file per format as
// pixlime/detail/io/ has one header per format.
//
//
// Hostile inputs are built here from bytes: images written by stb_image_write, or assembled
// by hand (palette PNGs, GIFs, BMP variants, TGA, PSD, PNM, PIC, HDR), then cut, corrupted or
// given impossible headers. Expected pixels come from the bytes the test wrote, never from
// the decoder under test. Tiny JPEGs that stb_image_write cannot produce (progressive,
// restart markers) are in tests/data/io (see its README).
#include <pixlime/io.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace pixlime_io_test {

using bytes = std::vector<std::uint8_t>;
using pixlime::image;
using pixlime::load_options;

inline const std::string data_dir = PIXLIME_TEST_DATA;

// ---------------------------------------------------------------------------------------------
// Byte helpers, independent of io.hpp
// ---------------------------------------------------------------------------------------------

inline std::uint32_t test_crc32(const std::uint8_t* p, std::size_t n) {
    std::uint32_t c = 0xffffffffu;
    for (std::size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

inline void put_be16(bytes& b, unsigned v) {
    b.push_back(std::uint8_t(v >> 8));
    b.push_back(std::uint8_t(v));
}
inline void put_be32(bytes& b, std::uint32_t v) {
    put_be16(b, v >> 16);
    put_be16(b, v & 0xffffu);
}
inline void put_le16(bytes& b, unsigned v) {
    b.push_back(std::uint8_t(v));
    b.push_back(std::uint8_t(v >> 8));
}
inline void put_le32(bytes& b, std::uint32_t v) {
    put_le16(b, v & 0xffffu);
    put_le16(b, v >> 16);
}
inline void set_le32(bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = std::uint8_t(v >> (8 * i));
}
inline void set_be16(bytes& b, std::size_t at, unsigned v) {
    b[at] = std::uint8_t(v >> 8);
    b[at + 1] = std::uint8_t(v);
}
inline void append(bytes& b, const bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline void append(bytes& b, const std::string& text) { b.insert(b.end(), text.begin(), text.end()); }
inline bytes prefix(const bytes& b, std::size_t n) { return bytes(b.begin(), b.begin() + std::ptrdiff_t(n)); }

inline bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, path);
    return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
inline void write_file(const std::string& path, const bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
inline bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

/// Random pixels in [lo, hi] from a fixed seed.
inline image<std::uint8_t> noise(int w, int h, int c, unsigned seed, int lo = 0, int hi = 255) {
    image<std::uint8_t> img(w, h, c);
    std::mt19937 gen(seed);
    for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = std::uint8_t(lo + int(gen() % unsigned(hi - lo + 1)));
    return img;
}

/// The pixels as stb writes them, in memory.
inline void sink(void* context, void* data, int size) {
    auto* b = static_cast<bytes*>(context);
    b->insert(b->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}
inline bytes stb_png(const image<std::uint8_t>& img) {
    bytes b;
    REQUIRE(stbi_write_png_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data(), 0));
    return b;
}
inline bytes stb_bmp(const image<std::uint8_t>& img) {
    bytes b;
    REQUIRE(stbi_write_bmp_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data()));
    return b;
}
inline bytes stb_tga(const image<std::uint8_t>& img, bool rle) {
    const int saved = stbi_write_tga_with_rle;
    stbi_write_tga_with_rle = rle ? 1 : 0;
    bytes b;
    REQUIRE(stbi_write_tga_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data()));
    stbi_write_tga_with_rle = saved;
    return b;
}
inline bytes stb_jpg(const image<std::uint8_t>& img, int quality = 90) {
    bytes b;
    REQUIRE(stbi_write_jpg_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data(), quality));
    return b;
}
/// stb_image itself, as the reference for valid files (decode_image must not change them).
inline image<std::uint8_t> stb_decode(const bytes& b, int req = 0) {
    int w = 0, h = 0, c = 0;
    stbi_uc* p = stbi_load_from_memory(b.data(), int(b.size()), &w, &h, &c, req);
    REQUIRE_MESSAGE(p, stbi_failure_reason());
    image<std::uint8_t> img(w, h, req ? req : c);
    std::memcpy(img.data(), p, img.size());
    stbi_image_free(p);
    return img;
}

// --- PNG by hand --------------------------------------------------------------------------

/// A zlib stream of stored (uncompressed) deflate blocks.
inline bytes zlib_stored(const bytes& raw) {
    bytes z = {0x78, 0x01};
    std::size_t pos = 0;
    do {
        const std::size_t len = std::min<std::size_t>(raw.size() - pos, 65535);
        z.push_back(pos + len == raw.size() ? 1 : 0);
        put_le16(z, unsigned(len));
        put_le16(z, unsigned(~len & 0xffffu));
        z.insert(z.end(), raw.begin() + std::ptrdiff_t(pos), raw.begin() + std::ptrdiff_t(pos + len));
        pos += len;
    } while (pos < raw.size());
    std::uint32_t a = 1, b = 0;
    for (std::uint8_t v : raw) a = (a + v) % 65521, b = (b + a) % 65521;
    put_be32(z, b << 16 | a);
    return z;
}
inline bytes png_chunk(const std::string& type, const bytes& data) {
    bytes c;
    put_be32(c, std::uint32_t(data.size()));
    append(c, type);
    append(c, data);
    put_be32(c, test_crc32(c.data() + 4, c.size() - 4));
    return c;
}
inline bytes ihdr(std::uint32_t w, std::uint32_t h, int depth, int color, int interlace = 0) {
    bytes d;
    put_be32(d, w);
    put_be32(d, h);
    d.push_back(std::uint8_t(depth));
    d.push_back(std::uint8_t(color));
    d.push_back(0);
    d.push_back(0);
    d.push_back(std::uint8_t(interlace));
    return png_chunk("IHDR", d);
}
inline const bytes png_signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
/// A PNG from its IHDR fields, the chunks before IDAT and the filtered scanlines.
inline bytes png_file(std::uint32_t w, std::uint32_t h, int depth, int color, const bytes& before_idat, const bytes& scanlines) {
    bytes b = png_signature;
    append(b, ihdr(w, h, depth, color));
    append(b, before_idat);
    append(b, png_chunk("IDAT", zlib_stored(scanlines)));
    append(b, png_chunk("IEND", {}));
    return b;
}
/// Scanlines of 8-bit indices, filter 0.
inline bytes rows_of(const std::vector<std::vector<std::uint8_t>>& rows) {
    bytes s;
    for (const auto& r : rows) {
        s.push_back(0);
        append(s, r);
    }
    return s;
}
inline bytes plte(const std::vector<std::array<std::uint8_t, 3>>& colours) {
    bytes d;
    for (const auto& c : colours) d.insert(d.end(), c.begin(), c.end());
    return png_chunk("PLTE", d);
}
/// Byte offset of the first chunk of `type` in a PNG.
inline std::size_t png_find(const bytes& b, const std::string& type) {
    for (std::size_t pos = 8; pos + 8 <= b.size();) {
        const std::uint32_t len = std::uint32_t(b[pos]) << 24 | std::uint32_t(b[pos + 1]) << 16 | std::uint32_t(b[pos + 2]) << 8 | b[pos + 3];
        if (std::string(b.begin() + std::ptrdiff_t(pos + 4), b.begin() + std::ptrdiff_t(pos + 8)) == type) return pos;
        pos += 12 + len;
    }
    FAIL("no " << type << " chunk");
    return 0;
}

// --- BMP by hand --------------------------------------------------------------------------

struct bmp_spec {
    std::int32_t width = 4, height = 2;
    int bpp = 8;
    std::uint32_t header = 40, compress = 0, planes = 1, colors_used = 0;
    std::vector<std::array<std::uint8_t, 3>> palette;  // RGB
    std::vector<std::uint32_t> masks;                    // after a 40-byte header, or inside a V4 one
    std::int64_t offset = -1;                            // -1: right after the palette / masks
};
/// A BMP whose pixel rows (already padded, in file order) are `pixels`.
inline bytes bmp_file(const bmp_spec& s, const bytes& pixels) {
    bytes info;
    put_le32(info, s.header);
    if (s.header == 12) {
        put_le16(info, unsigned(s.width));
        put_le16(info, unsigned(s.height));
        put_le16(info, s.planes);
        put_le16(info, unsigned(s.bpp));
    } else {
        put_le32(info, std::uint32_t(s.width));
        put_le32(info, std::uint32_t(s.height));
        put_le16(info, s.planes);
        put_le16(info, unsigned(s.bpp));
        put_le32(info, s.compress);
        put_le32(info, std::uint32_t(pixels.size()));
        put_le32(info, 2835);
        put_le32(info, 2835);
        put_le32(info, s.colors_used);
        put_le32(info, 0);
        if (s.header >= 108) {
            for (std::size_t i = 0; i < 4; ++i) put_le32(info, i < s.masks.size() ? s.masks[i] : 0);
            put_le32(info, 0x73524742);  // 'sRGB'
        }
        while (info.size() < s.header) info.push_back(0);
        if (s.header == 40)
            for (std::uint32_t m : s.masks) put_le32(info, m);
    }
    for (const auto& c : s.palette) {
        info.push_back(c[2]);
        info.push_back(c[1]);
        info.push_back(c[0]);
        if (s.header != 12) info.push_back(0);
    }
    const std::uint32_t offset = s.offset >= 0 ? std::uint32_t(s.offset) : std::uint32_t(14 + info.size());
    bytes b = {'B', 'M'};
    put_le32(b, std::uint32_t(14 + info.size() + pixels.size()));
    put_le32(b, 0);
    put_le32(b, offset);
    append(b, info);
    append(b, pixels);
    return b;
}

/// Rows of a 24-bit BMP turned into a top-down BMP of the same image.
inline bytes top_down(const bytes& bmp) {
    const std::uint32_t offset = std::uint32_t(bmp[10]) | std::uint32_t(bmp[11]) << 8;
    const std::int32_t w = std::int32_t(bmp[18] | bmp[19] << 8), h = std::int32_t(bmp[22] | bmp[23] << 8);
    const std::size_t row = (std::size_t(w) * 3 + 3) & ~std::size_t(3);
    bytes t = bmp;
    set_le32(t, 22, std::uint32_t(-h));
    for (std::int32_t y = 0; y < h; ++y)
        std::memcpy(&t[offset + std::size_t(y) * row], &bmp[offset + std::size_t(h - 1 - y) * row], row);
    return t;
}

// --- GIF by hand --------------------------------------------------------------------------

/// LZW codes at a constant code size (a clear code before the table would grow), packed LSB
/// first. `pixels` are colour indices below 2^min_code_size.
inline bytes lzw(const std::vector<std::uint8_t>& pixels, int min_code_size, bool start_with_clear = true, bool end_code = true) {
    const unsigned clear = 1u << unsigned(min_code_size), size = unsigned(min_code_size) + 1;
    std::vector<unsigned> codes;
    if (start_with_clear) codes.push_back(clear);
    unsigned run = 0;
    for (std::uint8_t p : pixels) {
        if (run == clear - 2) {
            codes.push_back(clear);
            run = 0;
        }
        codes.push_back(p);
        ++run;
    }
    if (end_code) codes.push_back(clear + 1);
    bytes out;
    unsigned acc = 0, bits = 0;
    for (unsigned c : codes) {
        acc |= c << bits;
        bits += size;
        while (bits >= 8) {
            out.push_back(std::uint8_t(acc & 255u));
            acc >>= 8;
            bits -= 8;
        }
    }
    if (bits) out.push_back(std::uint8_t(acc));
    return out;
}
inline bytes sub_blocks(const bytes& data) {
    bytes b;
    for (std::size_t pos = 0; pos < data.size(); pos += 255) {
        const std::size_t len = std::min<std::size_t>(255, data.size() - pos);
        b.push_back(std::uint8_t(len));
        b.insert(b.end(), data.begin() + std::ptrdiff_t(pos), data.begin() + std::ptrdiff_t(pos + len));
    }
    b.push_back(0);
    return b;
}
struct gif_frame {
    unsigned x = 0, y = 0, w = 0, h = 0;
    std::vector<std::uint8_t> pixels;
    int min_code_size = 2;
    bytes data;  // LZW bytes; empty: lzw(pixels, min_code_size)
};
inline bytes gif_screen(unsigned w, unsigned h, const std::vector<std::array<std::uint8_t, 3>>& palette, unsigned bg = 0) {
    bytes b = {'G', 'I', 'F', '8', '9', 'a'};  // (appending to an empty vector trips GCC 12's -Wstringop-overflow)
    put_le16(b, w);
    put_le16(b, h);
    unsigned bits = 0;
    while ((2u << bits) < palette.size()) ++bits;
    b.push_back(palette.empty() ? 0 : std::uint8_t(0x80 | bits));
    b.push_back(std::uint8_t(bg));
    b.push_back(0);
    for (std::size_t i = 0; i < (palette.empty() ? 0 : (2u << bits)); ++i)
        for (int k = 0; k < 3; ++k) b.push_back(i < palette.size() ? palette[i][std::size_t(k)] : 0);
    return b;
}
inline bytes gif_image(const gif_frame& f) {
    bytes b = {0x2c};
    put_le16(b, f.x);
    put_le16(b, f.y);
    put_le16(b, f.w);
    put_le16(b, f.h);
    b.push_back(0);
    b.push_back(std::uint8_t(f.min_code_size));
    append(b, sub_blocks(f.data.empty() ? lzw(f.pixels, f.min_code_size) : f.data));
    return b;
}
inline const std::vector<std::array<std::uint8_t, 3>> four_colours = {{{200, 0, 0}}, {{0, 200, 0}}, {{0, 0, 200}}, {{250, 250, 250}}};
/// A w x h GIF of one full-screen frame with the four colours above.
inline bytes gif_file(unsigned w, unsigned h, const std::vector<std::uint8_t>& pixels) {
    bytes b = gif_screen(w, h, four_colours);
    gif_frame f;
    f.w = w;
    f.h = h;
    f.pixels = pixels;
    append(b, gif_image(f));
    b.push_back(0x3b);
    return b;
}
inline std::vector<std::uint8_t> pattern(std::size_t n, unsigned modulo) {
    std::vector<std::uint8_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = std::uint8_t((i * 7 + i / 5) % modulo);
    return p;
}

// --- TGA, PSD, PNM, PIC, HDR by hand ----------------------------------------------------------

inline bytes tga_mapped(unsigned w, unsigned h, const std::vector<std::array<std::uint8_t, 3>>& map, const bytes& indices,
                        unsigned first_entry = 0) {
    bytes b = {0, 1, 1};
    put_le16(b, first_entry);
    put_le16(b, unsigned(map.size()));
    b.push_back(24);
    put_le16(b, 0);
    put_le16(b, 0);
    put_le16(b, w);
    put_le16(b, h);
    b.push_back(8);
    b.push_back(0x20);  // top-left origin
    for (const auto& c : map) b.insert(b.end(), {c[2], c[1], c[0]});
    append(b, indices);
    return b;
}
/// An RGB PSD: planes are R, G, B (w * h each); raw or RLE (PackBits literal runs).
inline bytes psd_file(unsigned w, unsigned h, const bytes& planes, bool rle, unsigned channels = 3, unsigned depth = 8,
                      unsigned mode = 3, unsigned version = 1) {
    bytes b = {'8', 'B', 'P', 'S'};  // (appending to an empty vector trips GCC 12's -Wstringop-overflow)
    put_be16(b, version);
    b.insert(b.end(), 6, 0);
    put_be16(b, channels);
    put_be32(b, h);
    put_be32(b, w);
    put_be16(b, depth);
    put_be16(b, mode);
    put_be32(b, 0);
    put_be32(b, 0);
    put_be32(b, 0);
    put_be16(b, rle ? 1 : 0);
    if (!rle) {
        append(b, planes);
        return b;
    }
    bytes table, data;
    for (unsigned row = 0; row < h * channels; ++row) {
        put_be16(table, w + 1);
        data.push_back(std::uint8_t(w - 1));  // w literal bytes
        data.insert(data.end(), planes.begin() + std::ptrdiff_t(row * w), planes.begin() + std::ptrdiff_t(row * w + w));
    }
    append(b, table);
    append(b, data);
    return b;
}
inline bytes pnm_file(const std::string& header, const bytes& pixels) {
    bytes b(header.begin(), header.end());
    append(b, pixels);
    return b;
}
/// A Softimage PIC with one uncompressed RGB packet (or `packet` given).
inline bytes pic_file(unsigned w, unsigned h, const bytes& rgb, bytes packet = {0, 8, 0, 0xe0}) {
    bytes b = {0x53, 0x80, 0xf6, 0x34};
    b.insert(b.end(), 84, 0);
    append(b, std::string("PICT"));
    put_be16(b, w);
    put_be16(b, h);
    b.insert(b.end(), 8, 0);
    append(b, packet);
    append(b, rgb);
    return b;
}
inline bytes hdr_file(unsigned w, unsigned h) {
    bytes b;
    append(b, "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y " + std::to_string(h) + " +X " + std::to_string(w) + "\n");
    for (unsigned y = 0; y < h; ++y) {
        b.insert(b.end(), {2, 2, std::uint8_t(w >> 8), std::uint8_t(w & 255)});
        for (int c = 0; c < 4; ++c) b.insert(b.end(), {std::uint8_t(128 + w), std::uint8_t(100 + c)});  // one run
    }
    return b;
}

// --- JPEG surgery -----------------------------------------------------------------------------

/// Offset of the first marker `m` in a JPEG, walking its segments (and scans) from SOI.
inline std::size_t jpeg_find(const bytes& b, unsigned m, std::size_t from = 2) {
    std::size_t pos = from;
    while (pos + 4 <= b.size()) {
        REQUIRE(b[pos] == 0xff);
        const unsigned marker = b[pos + 1];
        if (marker == m) return pos;
        if (marker == 0xd9) break;
        pos += 2 + (std::size_t(b[pos + 2]) << 8 | b[pos + 3]);
        if (marker == 0xda)  // skip the entropy-coded data
            while (pos + 1 < b.size() && !(b[pos] == 0xff && b[pos + 1] != 0 && (b[pos + 1] < 0xd0 || b[pos + 1] > 0xd7))) ++pos;
    }
    FAIL("no marker " << m);
    return 0;
}
/// Offset of the marker that ends the scan whose SOS marker is at `sos`.
inline std::size_t scan_end(const bytes& b, std::size_t sos) {
    std::size_t pos = sos + 2 + (std::size_t(b[sos + 2]) << 8 | b[sos + 3]);
    while (pos + 1 < b.size() && !(b[pos] == 0xff && b[pos + 1] != 0 && (b[pos + 1] < 0xd0 || b[pos + 1] > 0xd7))) ++pos;
    return pos;
}
inline bytes erase(const bytes& b, std::size_t at, std::size_t count) {
    // Copied around the gap (vector::erase here trips GCC 12's -Wstringop-overflow once inlined).
    bytes out(b.begin(), b.begin() + std::ptrdiff_t(at));
    out.insert(out.end(), b.begin() + std::ptrdiff_t(at + count), b.end());
    return out;
}
inline bytes insert(bytes b, std::size_t at, const bytes& what) {
    b.insert(b.begin() + std::ptrdiff_t(at), what.begin(), what.end());
    return b;
}

// ---------------------------------------------------------------------------------------------
// Checking refusals
// ---------------------------------------------------------------------------------------------

enum class kind { io, size_limit, invalid };

struct hostile {
    std::string name;
    bytes data;
    std::string parameter;  // exactly e.parameter()
    std::string reason;     // a part of what()
    kind expected = kind::io;
    load_options options = {};
};

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Runs f, which must throw a pixlime::error of the right class, promptly, naming `parameter`
/// and containing `reason`; returns the message.
inline std::string refused(const std::function<void()>& f, kind expected, const std::string& parameter, const std::string& reason) {
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    try {
        f();
        FAIL_CHECK("accepted, expected: " << reason);
    } catch (const pixlime::error& e) {
        message = e.what();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        CHECK_MESSAGE(seconds < 2.0, message);
        CHECK(message.rfind("pixlime: ", 0) == 0);
        CHECK_MESSAGE(e.parameter() == parameter, message);
        CHECK_MESSAGE(contains(message, reason), message);
        const bool is_io = dynamic_cast<const pixlime::io_error*>(&e) != nullptr;
        const bool is_limit = dynamic_cast<const pixlime::size_limit_error*>(&e) != nullptr;
        const bool is_invalid = dynamic_cast<const pixlime::invalid_argument*>(&e) != nullptr;
        if (expected == kind::io) CHECK_MESSAGE(is_io, message);
        if (expected == kind::size_limit) CHECK_MESSAGE(is_limit, message);
        if (expected == kind::invalid) CHECK_MESSAGE((is_invalid && !is_limit), message);
    }
    return message;
}

inline void check_refused(const std::vector<hostile>& cases) {
    for (const hostile& h : cases) {
        INFO(h.name);
        refused([&] { (void)pixlime::decode_image(h.data, h.options); }, h.expected, h.parameter, h.reason);
    }
}

inline const std::string data_param = "decode_image data";
inline const std::string size_param = "decode_image size";

inline load_options all_formats() {
    load_options o;
    o.formats.tga = o.formats.psd = o.formats.pnm = o.formats.pic = true;
    return o;
}

/// Runs a table of hostile cases (each file's "hostile ..." test case runs its table).
inline void run(const std::vector<hostile>& cases) { check_refused(cases); }

/// The hostile tables, one per file (test_io_png.cpp, ...); test_io.cpp counts them.
std::vector<hostile> hostile_pngs();
std::vector<hostile> hostile_jpegs();
std::vector<hostile> hostile_bmps();
std::vector<hostile> hostile_gifs();
std::vector<hostile> hostile_other_formats();

}  // namespace pixlime_io_test
