// Reading and writing image files: decode_image / load_image / save_png.
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

#if defined(__unix__) || defined(__APPLE__)
#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace {

using bytes = std::vector<std::uint8_t>;
using pixlime::image;
using pixlime::load_options;

const std::string data_dir = PIXLIME_TEST_DATA;

// ---------------------------------------------------------------------------------------------
// Byte helpers, independent of io.hpp
// ---------------------------------------------------------------------------------------------

std::uint32_t test_crc32(const std::uint8_t* p, std::size_t n) {
    std::uint32_t c = 0xffffffffu;
    for (std::size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

void put_be16(bytes& b, unsigned v) {
    b.push_back(std::uint8_t(v >> 8));
    b.push_back(std::uint8_t(v));
}
void put_be32(bytes& b, std::uint32_t v) {
    put_be16(b, v >> 16);
    put_be16(b, v & 0xffffu);
}
void put_le16(bytes& b, unsigned v) {
    b.push_back(std::uint8_t(v));
    b.push_back(std::uint8_t(v >> 8));
}
void put_le32(bytes& b, std::uint32_t v) {
    put_le16(b, v & 0xffffu);
    put_le16(b, v >> 16);
}
void set_le32(bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = std::uint8_t(v >> (8 * i));
}
void set_be16(bytes& b, std::size_t at, unsigned v) {
    b[at] = std::uint8_t(v >> 8);
    b[at + 1] = std::uint8_t(v);
}
void append(bytes& b, const bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
void append(bytes& b, const std::string& text) { b.insert(b.end(), text.begin(), text.end()); }
bytes prefix(const bytes& b, std::size_t n) { return bytes(b.begin(), b.begin() + std::ptrdiff_t(n)); }

bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, path);
    return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_file(const std::string& path, const bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

/// Random pixels in [lo, hi] from a fixed seed.
image<std::uint8_t> noise(int w, int h, int c, unsigned seed, int lo = 0, int hi = 255) {
    image<std::uint8_t> img(w, h, c);
    std::mt19937 gen(seed);
    for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = std::uint8_t(lo + int(gen() % unsigned(hi - lo + 1)));
    return img;
}

/// The pixels as stb writes them, in memory.
void sink(void* context, void* data, int size) {
    auto* b = static_cast<bytes*>(context);
    b->insert(b->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}
bytes stb_png(const image<std::uint8_t>& img) {
    bytes b;
    REQUIRE(stbi_write_png_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data(), 0));
    return b;
}
bytes stb_bmp(const image<std::uint8_t>& img) {
    bytes b;
    REQUIRE(stbi_write_bmp_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data()));
    return b;
}
bytes stb_tga(const image<std::uint8_t>& img, bool rle) {
    const int saved = stbi_write_tga_with_rle;
    stbi_write_tga_with_rle = rle ? 1 : 0;
    bytes b;
    REQUIRE(stbi_write_tga_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data()));
    stbi_write_tga_with_rle = saved;
    return b;
}
bytes stb_jpg(const image<std::uint8_t>& img, int quality = 90) {
    bytes b;
    REQUIRE(stbi_write_jpg_to_func(sink, &b, img.width(), img.height(), img.channels(), img.data(), quality));
    return b;
}
/// stb_image itself, as the reference for valid files (decode_image must not change them).
image<std::uint8_t> stb_decode(const bytes& b, int req = 0) {
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
bytes zlib_stored(const bytes& raw) {
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
bytes png_chunk(const std::string& type, const bytes& data) {
    bytes c;
    put_be32(c, std::uint32_t(data.size()));
    append(c, type);
    append(c, data);
    put_be32(c, test_crc32(c.data() + 4, c.size() - 4));
    return c;
}
bytes ihdr(std::uint32_t w, std::uint32_t h, int depth, int color, int interlace = 0) {
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
const bytes png_signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
/// A PNG from its IHDR fields, the chunks before IDAT and the filtered scanlines.
bytes png_file(std::uint32_t w, std::uint32_t h, int depth, int color, const bytes& before_idat, const bytes& scanlines) {
    bytes b = png_signature;
    append(b, ihdr(w, h, depth, color));
    append(b, before_idat);
    append(b, png_chunk("IDAT", zlib_stored(scanlines)));
    append(b, png_chunk("IEND", {}));
    return b;
}
/// Scanlines of 8-bit indices, filter 0.
bytes rows_of(const std::vector<std::vector<std::uint8_t>>& rows) {
    bytes s;
    for (const auto& r : rows) {
        s.push_back(0);
        append(s, r);
    }
    return s;
}
bytes plte(const std::vector<std::array<std::uint8_t, 3>>& colours) {
    bytes d;
    for (const auto& c : colours) d.insert(d.end(), c.begin(), c.end());
    return png_chunk("PLTE", d);
}
/// Byte offset of the first chunk of `type` in a PNG.
std::size_t png_find(const bytes& b, const std::string& type) {
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
bytes bmp_file(const bmp_spec& s, const bytes& pixels) {
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
bytes top_down(const bytes& bmp) {
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
bytes lzw(const std::vector<std::uint8_t>& pixels, int min_code_size, bool start_with_clear = true, bool end_code = true) {
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
bytes sub_blocks(const bytes& data) {
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
bytes gif_screen(unsigned w, unsigned h, const std::vector<std::array<std::uint8_t, 3>>& palette, unsigned bg = 0) {
    bytes b;
    append(b, std::string("GIF89a"));
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
bytes gif_image(const gif_frame& f) {
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
const std::vector<std::array<std::uint8_t, 3>> four_colours = {{{200, 0, 0}}, {{0, 200, 0}}, {{0, 0, 200}}, {{250, 250, 250}}};
/// A w x h GIF of one full-screen frame with the four colours above.
bytes gif_file(unsigned w, unsigned h, const std::vector<std::uint8_t>& pixels) {
    bytes b = gif_screen(w, h, four_colours);
    gif_frame f;
    f.w = w;
    f.h = h;
    f.pixels = pixels;
    append(b, gif_image(f));
    b.push_back(0x3b);
    return b;
}
std::vector<std::uint8_t> pattern(std::size_t n, unsigned modulo) {
    std::vector<std::uint8_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = std::uint8_t((i * 7 + i / 5) % modulo);
    return p;
}

// --- TGA, PSD, PNM, PIC, HDR by hand ----------------------------------------------------------

bytes tga_mapped(unsigned w, unsigned h, const std::vector<std::array<std::uint8_t, 3>>& map, const bytes& indices,
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
bytes psd_file(unsigned w, unsigned h, const bytes& planes, bool rle, unsigned channels = 3, unsigned depth = 8,
               unsigned mode = 3, unsigned version = 1) {
    bytes b;
    append(b, std::string("8BPS"));
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
bytes pnm_file(const std::string& header, const bytes& pixels) {
    bytes b(header.begin(), header.end());
    append(b, pixels);
    return b;
}
/// A Softimage PIC with one uncompressed RGB packet (or `packet` given).
bytes pic_file(unsigned w, unsigned h, const bytes& rgb, bytes packet = {0, 8, 0, 0xe0}) {
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
bytes hdr_file(unsigned w, unsigned h) {
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
std::size_t jpeg_find(const bytes& b, unsigned m, std::size_t from = 2) {
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
std::size_t scan_end(const bytes& b, std::size_t sos) {
    std::size_t pos = sos + 2 + (std::size_t(b[sos + 2]) << 8 | b[sos + 3]);
    while (pos + 1 < b.size() && !(b[pos] == 0xff && b[pos + 1] != 0 && (b[pos + 1] < 0xd0 || b[pos + 1] > 0xd7))) ++pos;
    return pos;
}
bytes erase(bytes b, std::size_t at, std::size_t count) {
    b.erase(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(at + count));
    return b;
}
bytes insert(bytes b, std::size_t at, const bytes& what) {
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

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Runs f, which must throw a pixlime::error of the right class, promptly, naming `parameter`
/// and containing `reason`; returns the message.
std::string refused(const std::function<void()>& f, kind expected, const std::string& parameter, const std::string& reason) {
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

void check_refused(const std::vector<hostile>& cases) {
    for (const hostile& h : cases) {
        INFO(h.name);
        refused([&] { (void)pixlime::decode_image(h.data, h.options); }, h.expected, h.parameter, h.reason);
    }
}

const std::string data_param = "decode_image data";
const std::string size_param = "decode_image size";

load_options all_formats() {
    load_options o;
    o.formats.tga = o.formats.psd = o.formats.pnm = o.formats.pic = true;
    return o;
}

std::size_t hostile_count = 0;  // cases run by the tables below

void run(const std::vector<hostile>& cases) {
    hostile_count += cases.size();
    check_refused(cases);
}

}  // namespace

// =============================================================================================
// Valid files
// =============================================================================================

TEST_CASE("PNG round trips of gray, gray+alpha, RGB and RGBA, through files and memory") {
    for (int c = 1; c <= 4; ++c) {
        const auto img = noise(17, 9, c, unsigned(c));
        const std::string path = "pixlime_test_io_roundtrip_" + std::to_string(c) + ".png";
        pixlime::save_png(path, img);
        CHECK(pixlime::load_image(path) == img);
        CHECK(pixlime::decode_image(read_file(path)) == img);
        CHECK(pixlime::load_image(path, c) == img);
        std::remove(path.c_str());
    }
}

TEST_CASE("save_png takes views with a row stride") {
    const auto img = noise(5, 4, 3, 7);
    std::vector<std::uint8_t> wide(4 * 20, 99);
    for (int y = 0; y < 4; ++y) std::memcpy(&wide[std::size_t(y) * 20], img.data() + y * 15, 15);
    const std::string path = "pixlime_test_io_stride.png";
    pixlime::save_png(path, pixlime::image_view<const std::uint8_t>(wide.data(), 5, 4, 3, 20));
    CHECK(pixlime::load_image(path) == img);
    std::remove(path.c_str());
}

TEST_CASE("the bundled sample images load as 224x224 RGB") {
    for (const char* name : {"astronaut_224.png", "chelsea_224.png", "coffee_224.png", "rocket_224.png"}) {
        INFO(name);
        const auto img = pixlime::load_image(data_dir + "/images/" + name);
        CHECK(img.width() == 224);
        CHECK(img.height() == 224);
        CHECK(img.channels() == 3);
        CHECK(img == stb_decode(read_file(data_dir + "/images/" + name)));
    }
    CHECK(pixlime::load_image(data_dir + "/images/chelsea_224.png", 4).channels() == 4);
}

TEST_CASE("channel conversion follows stb's rules") {
    // RGB source: gray = (77 R + 150 G + 29 B) >> 8, alpha added as 255.
    const auto rgb = noise(6, 5, 3, 11);
    const bytes png = stb_png(rgb);
    load_options o;
    o.channels = 1;
    const auto gray = pixlime::decode_image(png, o);
    o.channels = 2;
    const auto gray_alpha = pixlime::decode_image(png, o);
    o.channels = 4;
    const auto rgba = pixlime::decode_image(png, o);
    REQUIRE(gray.channels() == 1);
    REQUIRE(gray_alpha.channels() == 2);
    REQUIRE(rgba.channels() == 4);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 6; ++x) {
            const int r = rgb.at(x, y, 0), g = rgb.at(x, y, 1), b = rgb.at(x, y, 2);
            CHECK(gray.at(x, y) == (77 * r + 150 * g + 29 * b) >> 8);
            CHECK(gray_alpha.at(x, y, 0) == gray.at(x, y));
            CHECK(gray_alpha.at(x, y, 1) == 255);
            CHECK((rgba.at(x, y, 0) == r && rgba.at(x, y, 1) == g && rgba.at(x, y, 2) == b && rgba.at(x, y, 3) == 255));
        }
    // Gray source: RGB repeats the value; RGBA source to RGB drops alpha.
    const auto g1 = noise(4, 3, 1, 12);
    o.channels = 3;
    const auto g3 = pixlime::decode_image(stb_png(g1), o);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) CHECK((g3.at(x, y, 0) == g1.at(x, y) && g3.at(x, y, 1) == g1.at(x, y) && g3.at(x, y, 2) == g1.at(x, y)));
    const auto a4 = noise(4, 3, 4, 13);
    const auto a3 = pixlime::decode_image(stb_png(a4), o);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x)
            for (int c = 0; c < 3; ++c) CHECK(a3.at(x, y, c) == a4.at(x, y, c));
}

TEST_CASE("palette PNGs: short PLTEs with valid indices, tRNS, 1-bit; 16-bit PNGs keep the high byte") {
    const std::vector<std::array<std::uint8_t, 3>> pal = {{{10, 20, 30}}, {{40, 50, 60}}, {{70, 80, 90}}};
    const bytes png = png_file(3, 2, 8, 3, plte(pal), rows_of({{0, 1, 2}, {2, 2, 0}}));
    const auto img = pixlime::decode_image(png);
    REQUIRE(img.channels() == 3);
    const int expect[2][3] = {{0, 1, 2}, {2, 2, 0}};
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x)
            for (int c = 0; c < 3; ++c) CHECK(img.at(x, y, c) == pal[std::size_t(expect[y][x])][std::size_t(c)]);
    // tRNS: alpha per entry, 255 past its end.
    bytes before = plte(pal);
    append(before, png_chunk("tRNS", {0, 128}));
    const auto rgba = pixlime::decode_image(png_file(3, 2, 8, 3, before, rows_of({{0, 1, 2}, {2, 2, 0}})));
    REQUIRE(rgba.channels() == 4);
    CHECK(rgba.at(0, 0, 3) == 0);
    CHECK(rgba.at(1, 0, 3) == 128);
    CHECK(rgba.at(2, 0, 3) == 255);
    // 1-bit palette of 2 entries: 8 pixels in one byte, most significant bit first.
    const auto bits = pixlime::decode_image(png_file(8, 1, 1, 3, plte({{{0, 0, 0}}, {{255, 255, 255}}}), {0, 0xa5}));
    for (int x = 0; x < 8; ++x) CHECK(bits.at(x, 0, 0) == (((0xa5 >> (7 - x)) & 1) ? 255 : 0));
    // 16-bit gray samples 0x1234 and 0xabcd give their high bytes.
    const auto deep = pixlime::decode_image(png_file(2, 1, 16, 0, {}, {0, 0x12, 0x34, 0xab, 0xcd}));
    REQUIRE(deep.channels() == 1);
    CHECK(deep.at(0, 0) == 0x12);
    CHECK(deep.at(1, 0) == 0xab);
    // Bytes after IEND are ignored.
    bytes trailing = png;
    append(trailing, std::string("trailing garbage"));
    CHECK(pixlime::decode_image(trailing) == img);
}

TEST_CASE("JPEG: baseline from stb_image_write, progressive, gray and restart markers decode as stb does") {
    const bytes jpg = stb_jpg(noise(24, 16, 3, 21, 60, 200));
    CHECK(pixlime::decode_image(jpg) == stb_decode(jpg));
    for (const char* name : {"progressive_24x16.jpg", "gray_progressive_24x16.jpg", "restart_24x16.jpg"}) {
        INFO(name);
        const bytes b = read_file(data_dir + "/io/" + name);
        const auto img = pixlime::decode_image(b);
        CHECK(img.width() == 24);
        CHECK(img.height() == 16);
        CHECK(img == stb_decode(b));
    }
}

TEST_CASE("BMP: top-down equals bottom-up; 1, 4, 8, 16, 32-bit and OS/2 palettes") {
    const auto img = noise(5, 4, 3, 31);
    const bytes bottom_up = stb_bmp(img);
    CHECK(pixlime::decode_image(bottom_up) == img);
    CHECK(pixlime::decode_image(top_down(bottom_up)) == img);

    const std::vector<std::array<std::uint8_t, 3>> pal = {{{1, 2, 3}}, {{40, 50, 60}}, {{200, 100, 0}}, {{9, 9, 9}}};
    bmp_spec s;
    s.palette = pal;
    s.width = 4;
    s.height = -2;  // top-down, so that rows are in reading order
    s.bpp = 8;
    const auto b8 = pixlime::decode_image(bmp_file(s, {0, 1, 2, 3, 3, 2, 1, 0}));
    s.bpp = 4;
    const auto b4 = pixlime::decode_image(bmp_file(s, {0x01, 0x23, 0, 0, 0x32, 0x10, 0, 0}));
    s.bpp = 1;
    s.palette = {pal[0], pal[1]};
    const auto b1 = pixlime::decode_image(bmp_file(s, {0x50, 0, 0, 0, 0xa0, 0, 0, 0}));  // 0101, 1010
    const int order8[2][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}}, order1[2][4] = {{0, 1, 0, 1}, {1, 0, 1, 0}};
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 4; ++x)
            for (int c = 0; c < 3; ++c) {
                CHECK(b8.at(x, y, c) == pal[std::size_t(order8[y][x])][std::size_t(c)]);
                CHECK(b4.at(x, y, c) == pal[std::size_t(order8[y][x])][std::size_t(c)]);
                CHECK(b1.at(x, y, c) == pal[std::size_t(order1[y][x])][std::size_t(c)]);
            }
    // 16-bit 5-6-5 BI_BITFIELDS: pure red, green, blue, white.
    bmp_spec s16;
    s16.width = 4;
    s16.height = 1;
    s16.bpp = 16;
    s16.compress = 3;
    s16.masks = {0xf800, 0x07e0, 0x001f};
    const auto b16 = pixlime::decode_image(bmp_file(s16, {0x00, 0xf8, 0xe0, 0x07, 0x1f, 0x00, 0xff, 0xff}));
    const int expect16[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    for (int x = 0; x < 4; ++x)
        for (int c = 0; c < 3; ++c) CHECK(b16.at(x, 0, c) == expect16[x][c]);
    // 32-bit BGRA with a V5 header: alpha kept.
    bmp_spec s32;
    s32.width = 1;
    s32.height = 1;
    s32.bpp = 32;
    s32.header = 124;
    s32.compress = 3;
    s32.masks = {0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000};
    const auto b32 = pixlime::decode_image(bmp_file(s32, {30, 20, 10, 77}));
    REQUIRE(b32.channels() == 4);
    CHECK((b32.at(0, 0, 0) == 10 && b32.at(0, 0, 1) == 20 && b32.at(0, 0, 2) == 30 && b32.at(0, 0, 3) == 77));
    // OS/2 1.x (12-byte header), 7 palette entries of 3 bytes: stb 2.27 alone loses the last 4.
    bmp_spec os2;
    os2.header = 12;
    os2.width = 3;
    os2.height = 1;
    os2.bpp = 8;
    for (std::uint8_t i = 0; i < 7; ++i) os2.palette.push_back({{std::uint8_t(10 * i + 1), std::uint8_t(10 * i + 2), std::uint8_t(10 * i + 3)}});
    const auto bos2 = pixlime::decode_image(bmp_file(os2, {0, 2, 6, 0}));
    for (int x = 0; x < 3; ++x)
        for (int c = 0; c < 3; ++c) CHECK(bos2.at(x, 0, c) == os2.palette[std::size_t(x == 0 ? 0 : x == 1 ? 2 : 6)][std::size_t(c)]);
    // The last row may lack its padding: no pixel is missing.
    const bytes b8file = bmp_file(s, {0x50, 0, 0, 0, 0xa0, 0, 0, 0});
    CHECK(pixlime::decode_image(prefix(b8file, b8file.size() - 3)) == b1);
}

TEST_CASE("GIF: the first frame, as RGBA; background and transparency") {
    const auto idx = pattern(7 * 5, 4);
    const auto img = pixlime::decode_image(gif_file(7, 5, idx));
    REQUIRE(img.channels() == 4);
    for (int i = 0; i < 35; ++i)
        for (int c = 0; c < 3; ++c) CHECK(img.data()[4 * i + c] == four_colours[idx[std::size_t(i)]][std::size_t(c)]);
    // Two frames: the second is ignored.
    bytes two = gif_screen(3, 2, four_colours);
    gif_frame f;
    f.w = 3;
    f.h = 2;
    f.pixels = {0, 1, 2, 3, 0, 1};
    append(two, gif_image(f));
    f.pixels = {3, 3, 3, 3, 3, 3};
    append(two, gif_image(f));
    two.push_back(0x3b);
    const auto first = pixlime::decode_image(two);
    CHECK(first.at(0, 0, 0) == 200);
    CHECK(first.at(2, 1, 1) == 200);
    // A 2x1 frame at (1, 1) of a 4x3 screen: background index 0 leaves the rest transparent
    // black; index 2 makes it colour 2, opaque.
    for (unsigned bg : {0u, 2u}) {
        bytes small = gif_screen(4, 3, four_colours, bg);
        gif_frame g;
        g.x = 1;
        g.y = 1;
        g.w = 2;
        g.h = 1;
        g.pixels = {3, 1};
        append(small, gif_image(g));
        small.push_back(0x3b);
        const auto s = pixlime::decode_image(small);
        CHECK(s.at(1, 1, 0) == 250);
        CHECK(s.at(2, 1, 1) == 200);
        if (bg == 0) CHECK((s.at(0, 0, 0) == 0 && s.at(0, 0, 3) == 0));
        if (bg == 2) CHECK((s.at(0, 0, 0) == 0 && s.at(0, 0, 2) == 200 && s.at(0, 0, 3) == 255));
        // Converted to RGB and gray like any RGBA image.
        load_options o;
        o.channels = 3;
        const auto rgb = pixlime::decode_image(small, o);
        o.channels = 1;
        const auto gray = pixlime::decode_image(small, o);
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 4; ++x) {
                for (int c = 0; c < 3; ++c) CHECK(rgb.at(x, y, c) == s.at(x, y, c));
                CHECK(gray.at(x, y) == (77 * s.at(x, y, 0) + 150 * s.at(x, y, 1) + 29 * s.at(x, y, 2)) >> 8);
            }
    }
}

TEST_CASE("formats off by default decode when enabled: TGA, PSD, PNM, PIC") {
    const auto rgb = noise(5, 3, 3, 41);
    const auto o = all_formats();
    CHECK(pixlime::decode_image(stb_tga(rgb, false), o) == rgb);
    CHECK(pixlime::decode_image(stb_tga(rgb, true), o) == rgb);
    const auto rgba = noise(5, 3, 4, 42);
    CHECK(pixlime::decode_image(stb_tga(rgba, true), o) == rgba);
    const auto g = noise(5, 3, 1, 43);
    CHECK(pixlime::decode_image(stb_tga(g, false), o) == g);
    // Colour-mapped TGA.
    const std::vector<std::array<std::uint8_t, 3>> map = {{{5, 6, 7}}, {{50, 60, 70}}};
    const auto mapped = pixlime::decode_image(tga_mapped(2, 1, map, {1, 0}), o);
    CHECK((mapped.at(0, 0, 0) == 50 && mapped.at(1, 0, 2) == 7));

    // PSD: planes R, G, B; the result is RGBA with alpha 255.
    bytes planes;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 5; ++x) planes.push_back(rgb.at(x, y, c));
    for (bool rle : {false, true}) {
        const auto psd = pixlime::decode_image(psd_file(5, 3, planes, rle), o);
        REQUIRE(psd.channels() == 4);
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 5; ++x)
                for (int c = 0; c < 4; ++c) CHECK(psd.at(x, y, c) == (c < 3 ? rgb.at(x, y, c) : 255));
    }
    // PNM: P6 and P5, with a comment.
    CHECK(pixlime::decode_image(pnm_file("P6\n# a comment\n5 3\n255\n", bytes(rgb.data(), rgb.data() + rgb.size())), o) == rgb);
    CHECK(pixlime::decode_image(pnm_file("P5 5 3 255\n", bytes(g.data(), g.data() + g.size())), o) == g);
    // PIC: stored as RGB, converted by pixlime from stb's RGBA (also to 1 channel).
    const auto pic = pixlime::decode_image(pic_file(5, 3, bytes(rgb.data(), rgb.data() + rgb.size())), o);
    CHECK(pic == rgb);
    load_options gray_pic = o;
    gray_pic.channels = 1;
    const auto pic1 = pixlime::decode_image(pic_file(5, 3, bytes(rgb.data(), rgb.data() + rgb.size())), gray_pic);
    CHECK(pic1.at(4, 2) == (77 * rgb.at(4, 2, 0) + 150 * rgb.at(4, 2, 1) + 29 * rgb.at(4, 2, 2)) >> 8);
}

TEST_CASE("stb's flip settings do not turn images upside down") {
    const auto img = noise(3, 4, 3, 51);
    const bytes png = stb_png(img);
    stbi_set_flip_vertically_on_load(1);
    const auto loaded = pixlime::decode_image(png);
    const auto bmp_loaded = pixlime::decode_image(top_down(stb_bmp(img)));
    stbi_set_flip_vertically_on_load(0);
    CHECK(loaded == img);
    CHECK(bmp_loaded == img);
    const std::string path = "pixlime_test_io_flip.png";
    stbi_flip_vertically_on_write(1);
    pixlime::save_png(path, img);
    stbi_flip_vertically_on_write(0);
    CHECK(pixlime::load_image(path) == img);
    std::remove(path.c_str());
}

// =============================================================================================
// Hostile files
// =============================================================================================

TEST_CASE("hostile PNGs") {
    const auto img = noise(40, 30, 3, 61);
    const bytes png = stb_png(img);
    const bytes coffee = read_file(data_dir + "/images/coffee_224.png");
    const std::vector<std::array<std::uint8_t, 3>> pal16(16, {{1, 2, 3}});
    const bytes rows = rows_of({{0, 1, 2, 3}, {15, 200, 4, 5}});
    std::vector<hostile> t;
    t.push_back({"truncated inside IDAT", prefix(coffee, 2000), data_param, "PNG truncated after 2000 of at least"});
    t.push_back({"IEND's CRC missing", prefix(png, png.size() - 4), data_param,
                 "PNG truncated after " + std::to_string(png.size() - 4) + " of " + std::to_string(png.size()) + " bytes (the IEND chunk"});
    t.push_back({"no IEND", prefix(png, png.size() - 12), data_param, "with no IEND chunk"});
    t.push_back({"signature only", png_signature, data_param, "PNG truncated after 8 of at least 20 bytes (it ends after the signature)"});
    {
        bytes b = png;
        b[29] ^= 0x55;  // IHDR's CRC
        t.push_back({"bad IHDR CRC", b, data_param, "PNG IHDR chunk at byte 8 with CRC"});
        b = png;
        b[png_find(png, "IDAT") + 20] ^= 0x01;  // a data byte
        t.push_back({"bad IDAT CRC", b, data_param, "IDAT chunk at byte 33 with CRC"});
    }
    t.push_back({"palette index 200 of 16", png_file(4, 2, 8, 3, plte(pal16), rows), data_param,
                 "PNG palette index 200 outside the PLTE's 16 entries"});
    t.push_back({"1-bit palette, index 1 of 1", png_file(8, 1, 1, 3, plte({{{9, 9, 9}}}), {0, 0x01}), data_param,
                 "palette index 1 outside the PLTE's 1 entry"});
    t.push_back({"palette without PLTE", png_file(4, 2, 8, 3, {}, rows), data_param, "palette PNG without a PLTE chunk"});
    {
        bytes before = plte({{{1, 1, 1}}, {{2, 2, 2}}});
        append(before, png_chunk("tRNS", {1, 2, 3}));
        t.push_back({"tRNS longer than PLTE", png_file(1, 1, 8, 3, before, {0, 0}), data_param,
                     "tRNS chunk with 3 alpha values for the PLTE's 2 entries"});
        before = plte({{{1, 1, 1}}});
        append(before, plte({{{1, 1, 1}}}));
        t.push_back({"two PLTEs", png_file(1, 1, 8, 3, before, {0, 0}), data_param, "second PLTE chunk"});
        t.push_back({"PLTE of 10 bytes", png_file(1, 1, 8, 3, png_chunk("PLTE", bytes(10, 1)), {0, 0}), data_param,
                     "PLTE chunk of 10 bytes"});
        t.push_back({"tRNS in RGBA", png_file(1, 1, 8, 6, png_chunk("tRNS", {0, 1, 0, 1, 0, 1}), {0, 1, 2, 3, 4}), data_param,
                     "tRNS chunk in an image that has an alpha channel"});
    }
    t.push_back({"width 0", png_file(0, 5, 8, 0, {}, {0}), data_param, "PNG header with a size of 0x5"});
    {
        bytes huge = png_signature;
        append(huge, ihdr(100000, 100000, 8, 2));
        append(huge, png_chunk("IDAT", zlib_stored({0})));
        append(huge, png_chunk("IEND", {}));
        t.push_back({"100000 x 100000", huge, size_param, "decode_image size = 100000x100000: expected at most limits.max_pixels = 268435456 pixels",
                     kind::size_limit});
    }
    t.push_back({"colour type 2 at 4 bits", png_file(2, 2, 4, 2, {}, {0, 0, 0, 0}), data_param, "colour type 2 and bit depth 4"});
    {
        bytes b = png_signature;
        append(b, ihdr(1, 1, 8, 0, 2));
        append(b, png_chunk("IDAT", zlib_stored({0, 0})));
        append(b, png_chunk("IEND", {}));
        t.push_back({"interlace method 2", b, data_param, "PNG interlace method 2"});
        b = png_signature;
        append(b, png_chunk("CgBI", {0x50, 0, 0x20, 2}));
        append(b, prefix(erase(png, 0, 8), png.size() - 8));
        t.push_back({"Apple CgBI", b, data_param, "Apple CgBI PNG"});
        b = png_signature;
        append(b, ihdr(1, 1, 8, 0));
        append(b, png_chunk("ABCD", {1, 2}));
        append(b, png_chunk("IDAT", zlib_stored({0, 0})));
        append(b, png_chunk("IEND", {}));
        t.push_back({"unknown critical chunk", b, data_param, "unknown critical chunk 'ABCD'"});
        b = png_signature;
        append(b, png_chunk("gAMA", {0, 0, 0, 1}));
        append(b, ihdr(1, 1, 8, 0));
        t.push_back({"first chunk not IHDR", b, data_param, "PNG whose first chunk is gAMA, not IHDR"});
        b = png;
        b[png_find(png, "IDAT") + 5] = '#';
        t.push_back({"chunk type with a non-letter", b, data_param, "whose type bytes are"});
    }
    {
        // Deflate data that is not deflate, with valid CRCs: stb refuses it, pixlime says so.
        bytes b = png_signature;
        append(b, ihdr(4, 4, 8, 0));
        append(b, png_chunk("IDAT", {0x78, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
        append(b, png_chunk("IEND", {}));
        t.push_back({"corrupt deflate data", b, data_param, "PNG image data that is corrupt: stb_image could not decode"});
        // Two scanlines for a four-row image.
        t.push_back({"too few scanlines", png_file(2, 4, 8, 0, {}, {0, 1, 2, 0, 3, 4}), data_param, "(stb: not enough pixels)"});
    }
    {
        load_options o;
        o.limits.max_pixels = 1000;
        t.push_back({"over a lowered max_pixels", png, size_param, "expected at most limits.max_pixels = 1000 pixels", kind::size_limit, o});
        o = {};
        o.channels = 4;
        o.limits.max_image_bytes = 40 * 30 * 4 - 1;
        t.push_back({"RGBA over a lowered max_image_bytes", png, size_param, "40x30x4 of 1-byte values: expected at most limits.max_image_bytes = 4799",
                     kind::size_limit, o});
    }
    run(t);
}

TEST_CASE("hostile JPEGs") {
    const bytes jpg = stb_jpg(noise(24, 16, 3, 71, 40, 220));
    const std::size_t sof = jpeg_find(jpg, 0xc0), sos = jpeg_find(jpg, 0xda), dht = jpeg_find(jpg, 0xc4);
    const bytes restart = read_file(data_dir + "/io/restart_24x16.jpg");
    const bytes progressive = read_file(data_dir + "/io/progressive_24x16.jpg");
    std::vector<hostile> t;
    t.push_back({"cut in the scan", prefix(jpg, jpg.size() / 2 + sos / 2), data_param, "has no end: no EOI marker"});
    t.push_back({"no EOI", prefix(jpg, jpg.size() - 2), data_param, "JPEG truncated after " + std::to_string(jpg.size() - 2)});
    t.push_back({"cut in a DHT", prefix(jpg, dht + 30), data_param, "the DHT segment at byte " + std::to_string(dht) + " is cut short"});
    {
        // A restart interval of 1 MCU, but no RST marker in the scan.
        const bytes dri = insert(jpg, sos, {0xff, 0xdd, 0, 4, 0, 1});
        t.push_back({"DRI without restart markers", dri, data_param, "with 0 restart markers where its 2 MCUs at a restart interval of 1 need 1"});
        // restart_24x16.jpg has 5; drop the last.
        std::size_t last = restart.size() - 1;
        while (!(restart[last - 1] == 0xff && restart[last] == 0xd4)) --last;
        t.push_back({"a restart marker missing", erase(restart, last - 1, 2), data_param, "with 4 restart markers where"});
    }
    {
        // The scan names only component 1 of 3 (Ns = 1): components 2 and 3 are never coded.
        bytes b = jpg;
        const bytes header = {0xff, 0xda, 0, 8, 1, b[sos + 5], b[sos + 6], 0, 63, 0};
        b.erase(b.begin() + std::ptrdiff_t(sos), b.begin() + std::ptrdiff_t(sos + 2 + (std::size_t(b[sos + 2]) << 8 | b[sos + 3])));
        b.insert(b.begin() + std::ptrdiff_t(sos), header.begin(), header.end());
        t.push_back({"scan codes 1 of 3 components", b, data_param, "JPEG whose scans never code component 1"});
        bytes none = prefix(jpg, sos);
        none.insert(none.end(), {0xff, 0xd9});
        t.push_back({"no scan at all", none, data_param, "JPEG whose scans never code component 0"});
        // Progressive: drop the first scan (the DC scan of all components).
        const std::size_t first_scan = jpeg_find(progressive, 0xda);
        t.push_back({"progressive without its DC scan", erase(progressive, first_scan, scan_end(progressive, first_scan) - first_scan), data_param,
                     "never code component 0's DC coefficients"});
    }
    {
        bytes b = jpg;
        b[sof + 4] = 12;
        t.push_back({"12-bit samples", b, data_param, "JPEG with 12-bit samples"});
        b = jpg;
        set_be16(b, sof + 5, 0);
        t.push_back({"height 0 (DNL)", b, data_param, "frame header gives a height of 0"});
        b = jpg;
        b[sof + 1] = 0xc3;
        t.push_back({"lossless SOF3", b, data_param, "JPEG coded as SOF3 (lossless, hierarchical or arithmetic coding)"});
        b = jpg;
        b[sof + 9] = 2;
        t.push_back({"2 components", b, data_param, "JPEG with 2 components"});
        b = jpg;
        b[sos + 6] = 0x33;  // component 1 uses DC table 3 and AC table 3, never defined
        t.push_back({"undefined Huffman table", b, data_param, "using a Huffman table no DHT segment defined"});
        b = jpg;
        b[dht + 4] = 0x24;  // class 2
        t.push_back({"DHT class 2", b, data_param, "defining table class 2 number 4"});
        b = jpg;
        set_be16(b, sof + 5, 65535);
        set_be16(b, sof + 7, 65535);
        t.push_back({"65535 x 65535", b, size_param, "decode_image size = 65535x65535", kind::size_limit});
        b = insert(jpg, dht, {0x00});
        t.push_back({"a stray byte after the frame header", b, data_param, "with byte 0x00 at byte " + std::to_string(dht)});
    }
    run(t);
}

TEST_CASE("hostile BMPs") {
    const bytes bmp = stb_bmp(noise(40, 30, 3, 81));
    bmp_spec s;
    s.width = 4;
    s.height = 2;
    s.palette = {{{1, 1, 1}}, {{2, 2, 2}}};
    std::vector<hostile> t;
    t.push_back({"cut in the pixels", prefix(bmp, 1000), data_param,
                 "BMP truncated after 1000 of " + std::to_string(bmp.size()) + " bytes"});
    t.push_back({"cut in the info header", prefix(bmp, 30), data_param, "BMP truncated after 30 of 54 bytes (the info header is cut short)"});
    t.push_back({"8-bit index 200 of 2", bmp_file(s, {0, 1, 200, 0, 1, 1, 1, 1}), data_param, "BMP palette index 200 outside the palette's 2 entries"});
    {
        bmp_spec low = s;
        low.offset = 50;  // inside the header: stb 2.27 would read no palette and decode garbage
        t.push_back({"pixel offset inside the header", bmp_file(low, bytes(8, 0)), data_param, "BMP whose pixel data starts at byte 50"});
        bmp_spec rle = s;
        rle.compress = 1;
        t.push_back({"RLE8", bmp_file(rle, bytes(8, 0)), data_param, "RLE-compressed BMP (RLE8)"});
        bmp_spec two = s;
        two.bpp = 2;
        t.push_back({"2 bits a pixel", bmp_file(two, bytes(8, 0)), data_param, "BMP with 2 bits a pixel"});
        bmp_spec h64 = s;
        h64.header = 64;
        t.push_back({"64-byte header", bmp_file(h64, bytes(8, 0)), data_param, "BMP with a 64-byte info header"});
        bmp_spec zero = s;
        zero.width = 0;
        t.push_back({"width 0", bmp_file(zero, bytes(8, 0)), data_param, "BMP header with a size of 0x2"});
        bmp_spec min = s;
        min.height = INT32_MIN;
        t.push_back({"height INT_MIN", bmp_file(min, bytes(8, 0)), data_param, "size of 4x-2147483648"});
        bmp_spec huge = s;
        huge.width = huge.height = 100000;
        t.push_back({"100000 x 100000", bmp_file(huge, bytes(8, 0)), size_param, "decode_image size = 100000x100000", kind::size_limit});
        bmp_spec planes = s;
        planes.planes = 2;
        t.push_back({"2 planes", bmp_file(planes, bytes(8, 0)), data_param, "BMP with 2 planes"});
        bmp_spec jpeg = s;
        jpeg.compress = 4;
        t.push_back({"BMP holding a JPEG", bmp_file(jpeg, bytes(8, 0)), data_param, "BMP holding a JPEG image"});
        bmp_spec v3;
        v3.header = 56;
        v3.bpp = 32;
        v3.compress = 3;
        t.push_back({"56-byte header with bitfields", bmp_file(v3, bytes(32, 0)), data_param, "56-byte header and BI_BITFIELDS"});
        bmp_spec bf24;
        bf24.bpp = 24;
        bf24.compress = 3;
        bf24.masks = {0xff0000, 0xff00, 0xff};
        t.push_back({"BI_BITFIELDS at 24 bits", bmp_file(bf24, bytes(24, 0)), data_param, "BI_BITFIELDS BMP with 24 bits a pixel"});
        bmp_spec offset;
        offset.bpp = 24;
        offset.offset = 60;  // stb 2.27 wants 24-bit pixels right after the header
        t.push_back({"24-bit pixels after a gap", bmp_file(offset, bytes(32, 0)), data_param, "(stb: bad offset)"});
    }
    run(t);
}

TEST_CASE("hostile GIFs") {
    const auto idx = pattern(20 * 10, 4);
    const bytes gif = gif_file(20, 10, idx);
    std::vector<hostile> t;
    t.push_back({"cut in the image data", prefix(gif, gif.size() - 20), data_param, "the first frame's image data is cut short"});
    t.push_back({"no trailer", prefix(gif, gif.size() - 1), data_param, "no trailer (0x3b) after the last block"});
    {
        // Two-entry colour table, LZW code size 2: index 3 does not exist.
        bytes b = gif_screen(2, 1, {{{1, 1, 1}}, {{2, 2, 2}}});
        gif_frame f;
        f.w = 2;
        f.h = 1;
        f.pixels = {0, 3};
        append(b, gif_image(f));
        b.push_back(0x3b);
        t.push_back({"colour index 3 of 2", b, data_param, "GIF colour index 3 outside the colour table's 2 entries"});
        // The LZW data ends (end code) after half the pixels.
        bytes half = gif_screen(4, 4, four_colours);
        f.w = 4;
        f.h = 4;
        f.pixels = {};
        f.data = lzw(pattern(8, 4), 2);
        append(half, gif_image(f));
        half.push_back(0x3b);
        t.push_back({"LZW data for half the pixels", half, data_param, "image data ends after 8 of its 16 pixels"});
        // No clear code first.
        bytes noclear = gif_screen(4, 1, four_colours);
        f.h = 1;
        f.data = lzw({0, 1, 2, 3}, 2, false);
        append(noclear, gif_image(f));
        noclear.push_back(0x3b);
        t.push_back({"no clear code", noclear, data_param, "does not start with a clear code"});
        // LZW code size 9.
        bytes wide = gif_screen(4, 1, four_colours);
        f.data = {};
        f.pixels = {0, 1, 2, 3};
        f.min_code_size = 9;
        append(wide, gif_image(f));
        wide.push_back(0x3b);
        t.push_back({"LZW code size 9", wide, data_param, "LZW code size of 9"});
        // A frame outside the screen.
        bytes outside = gif_screen(4, 4, four_colours);
        gif_frame g;
        g.x = 3;
        g.w = 2;
        g.h = 1;
        g.pixels = {0, 1};
        append(outside, gif_image(g));
        outside.push_back(0x3b);
        t.push_back({"frame outside the screen", outside, data_param, "GIF frame of 2x1 at (3, 0) outside its 4x4 screen"});
        // No colour table at all.
        bytes none = gif_screen(2, 1, {});
        g.x = 0;
        append(none, gif_image(g));
        none.push_back(0x3b);
        t.push_back({"no colour table", none, data_param, "without a colour table"});
    }
    t.push_back({"screen 0x10", gif_file(0, 10, {}), data_param, "GIF screen of 0x10 pixels"});
    {
        bytes b = gif_screen(2, 2, four_colours);
        b.push_back(0x99);
        t.push_back({"unknown block", b, data_param, "GIF block of type 0x99 at byte 25"});
        b = gif_screen(2, 2, four_colours);
        b.insert(b.end(), {0x21, 0xf9, 5, 0, 0, 0, 0, 0, 0});
        t.push_back({"graphic control extension of 5 bytes", b, data_param, "graphic control extension at byte 25 of 5 bytes"});
        b = gif_screen(2, 2, four_colours);
        b.push_back(0x3b);
        t.push_back({"no image", b, data_param, "GIF without any image"});
    }
    run(t);
}

TEST_CASE("hostile inputs of other formats, disabled formats, non-images and bad arguments") {
    const auto rgb = noise(5, 3, 3, 91);
    const bytes rgb_bytes(rgb.data(), rgb.data() + rgb.size());
    const load_options all = all_formats();
    const bytes tga = stb_tga(rgb, false), tga_rle = stb_tga(rgb, true);
    bytes planes(45, 7);
    const bytes psd = psd_file(5, 3, planes, false), psd_rle = psd_file(5, 3, planes, true);
    const bytes ppm = pnm_file("P6\n5 3\n255\n", rgb_bytes), pic = pic_file(5, 3, rgb_bytes);
    std::vector<hostile> t;
    const std::string defaults = "expected PNG, JPEG, BMP or GIF";
    t.push_back({"TGA off by default", tga, data_param,
                 "decode_image data = TGA file: expected PNG, JPEG, BMP or GIF (TGA is decoded only with load_options::formats.tga = true)"});
    t.push_back({"PSD off by default", psd, data_param, "PSD file: " + defaults + " (PSD is decoded only with load_options::formats.psd = true)"});
    t.push_back({"PNM off by default", ppm, data_param, "PNM file: " + defaults + " (PNM is decoded only with load_options::formats.pnm = true)"});
    t.push_back({"PIC off by default", pic, data_param, "PIC file: " + defaults + " (PIC is decoded only with load_options::formats.pic = true)"});
    {
        load_options no_png;
        no_png.formats.png = false;
        t.push_back({"PNG switched off", stb_png(rgb), data_param, "PNG file: expected JPEG, BMP or GIF (PNG is decoded only with load_options::formats.png = true)",
                     kind::io, no_png});
    }
    // Radiance HDR: refused before stb sees it (stb 2.27 loops forever on a truncated one).
    const bytes hdr = hdr_file(16, 4);
    t.push_back({"HDR", hdr, data_param, "Radiance HDR file: " + defaults + " (HDR is never decoded"});
    t.push_back({"HDR with every format on", hdr, data_param,
                 "Radiance HDR file: expected PNG, JPEG, BMP, GIF, TGA, PSD, PNM or PIC (HDR is never decoded", kind::io, all});
    t.push_back({"truncated HDR", prefix(hdr, hdr.size() - 5), data_param, "HDR is never decoded: stb 2.27's HDR decoder never returns", kind::io, all});
    t.push_back({"HTML", bytes{'<', 'h', 't', 'm', 'l', '>', '<', '/'}, data_param,
                 "not an image: the first bytes (3c 68 74 6d 6c 3e 3c 2f) match no supported format: " + defaults});
    t.push_back({"TIFF", bytes{'I', 'I', 42, 0, 8, 0, 0, 0}, data_param, "a TIFF file (first bytes 49 49 2a 00"});
    t.push_back({"ASCII PPM", pnm_file("P3\n1 1\n255\n1 2 3\n", {}), data_param, "a PNM file of a kind stb does not decode", kind::io, all});
    t.push_back({"empty", {}, data_param, "decode_image data = 0 bytes: an empty file"});

    t.push_back({"TGA cut", prefix(tga, tga.size() - 1), data_param,
                 "TGA truncated after " + std::to_string(tga.size() - 1) + " of " + std::to_string(18 + 45) + " bytes", kind::io, all});
    t.push_back({"RLE TGA cut", prefix(tga_rle, tga_rle.size() - 2), data_param, "(its RLE data holds", kind::io, all});
    const std::vector<std::array<std::uint8_t, 3>> map = {{{1, 2, 3}}, {{4, 5, 6}}};
    t.push_back({"TGA colour index 7 of 2", tga_mapped(2, 1, map, {0, 7}), data_param, "TGA colour index 7 outside the colour map's 2 entries",
                 kind::io, all});
    t.push_back({"TGA colour map from entry 5", tga_mapped(2, 1, map, {0, 1}, 5), data_param, "TGA colour map starting at entry 5", kind::io, all});
    {
        bytes b = tga;
        b[17] |= 0x10;
        t.push_back({"TGA right to left", b, data_param, "TGA stored right to left", kind::io, all});
    }
    t.push_back({"PSD cut", prefix(psd, psd.size() - 10), data_param,
                 "PSD truncated after " + std::to_string(psd.size() - 10) + " of " + std::to_string(psd.size()) + " bytes", kind::io, all});
    t.push_back({"RLE PSD cut", prefix(psd_rle, psd_rle.size() - 3), data_param, "PSD truncated after", kind::io, all});
    t.push_back({"16-bit RLE PSD", psd_file(5, 3, bytes(90, 0), true, 3, 16), data_param, "16-bit PSD with RLE-compressed image data", kind::io, all});
    t.push_back({"gray PSD", psd_file(5, 3, planes, false, 3, 8, 1), data_param, "PSD in colour mode 1", kind::io, all});
    t.push_back({"1-channel RGB PSD", psd_file(5, 3, bytes(15, 0), false, 1), data_param, "RGB PSD with 1 channels", kind::io, all});
    t.push_back({"PSB", psd_file(5, 3, planes, false, 3, 8, 3, 2), data_param, "PSD version 2 (PSB, large document)", kind::io, all});
    t.push_back({"PNM cut", prefix(ppm, ppm.size() - 1), data_param,
                 "PNM truncated after " + std::to_string(ppm.size() - 1) + " of " + std::to_string(ppm.size()) + " bytes", kind::io, all});
    t.push_back({"16-bit PNM", pnm_file("P5 1 1 65535\n", {0x12, 0x34}), data_param, "PNM with maxval 65535", kind::io, all});
    t.push_back({"PNM maxval 15", pnm_file("P5 2 1 15\n", {15, 7}), data_param, "PNM with maxval 15: expected maxval 255", kind::io, all});
    t.push_back({"PNM width overflowing an int", pnm_file("P5 99999999999 1 255\n", {1}), data_param, "PNM header with a width over 2^31",
                 kind::io, all});
    // A header asking for more than the limits names the limit, not the missing pixels (the
    // file ends with the header, or in it once the size is read).
    t.push_back({"PNM of 100000 x 100000, header only", pnm_file("P5\n100000 100000\n255\n", {}), size_param,
                 "decode_image size = 100000x100000: expected at most limits.max_pixels = 268435456 pixels", kind::size_limit, all});
    t.push_back({"PPM of 100000 x 100000, cut in the maxval", pnm_file("P6 100000 100000 2", {}), size_param,
                 "decode_image size = 100000x100000: expected at most limits.max_pixels", kind::size_limit, all});
    {
        load_options few = all;
        few.limits.max_pixels = 1000;
        t.push_back({"PNM over a lowered max_pixels, cut after the height", pnm_file("P5 50 50\n", {}), size_param,
                     "decode_image size = 50x50: expected at most limits.max_pixels = 1000 pixels", kind::size_limit, few});
    }
    t.push_back({"PIC cut in the pixels", prefix(pic, pic.size() - 4), data_param, "PIC truncated after", kind::io, all});
    t.push_back({"PIC of 16-bit packets", pic_file(5, 3, rgb_bytes, {0, 16, 0, 0xe0}), data_param, "PIC packet of 16 bits", kind::io, all});
    t.push_back({"PIC of 0x3", pic_file(0, 3, rgb_bytes), data_param, "PIC header with a size of 0x3", kind::io, all});
    {
        load_options o;
        o.channels = 5;
        t.push_back({"channels 5", stb_png(rgb), "decode_image load_options.channels", "load_options.channels = 5: expected 0 (as stored) or 1 to 4",
                     kind::invalid, o});
        o.channels = -1;
        t.push_back({"channels -1", stb_png(rgb), "decode_image load_options.channels", "= -1", kind::invalid, o});
        o = {};
        o.max_file_bytes = 100;
        t.push_back({"over max_file_bytes", stb_png(rgb), data_param, "expected at most load_options::max_file_bytes = 100 bytes",
                     kind::size_limit, o});
    }
    run(t);
    refused([] { (void)pixlime::decode_image(nullptr, 10); }, kind::invalid, data_param, "decode_image data = null: expected a pointer");
    refused([] { (void)pixlime::decode_image(nullptr, 0); }, kind::io, data_param, "decode_image data = 0 bytes: an empty file");
    hostile_count += 2;
}

// =============================================================================================
// Truncation at every cut point
// =============================================================================================

namespace {

/// Every prefix of `file` (from `first` bytes on) is refused with an io_error saying it is
/// truncated after exactly that many bytes; the whole file decodes.
void every_cut_refused(const std::string& name, const bytes& file, std::size_t first, const load_options& o = {}) {
    INFO(name);
    CHECK_NOTHROW((void)pixlime::decode_image(file, o));
    const auto start = std::chrono::steady_clock::now();
    std::size_t wrong = 0;
    for (std::size_t cut = first; cut < file.size(); ++cut) {
        try {
            (void)pixlime::decode_image(file.data(), cut, o);
            if (wrong++ < 3) FAIL_CHECK("accepted " << cut << " of " << file.size() << " bytes");
        } catch (const pixlime::io_error& e) {
            const std::string said = " truncated after " + std::to_string(cut) + " of ";
            if (!contains(e.what(), said) && wrong++ < 3) FAIL_CHECK(cut << " bytes: " << std::string(e.what()));
        }
    }
    CHECK(wrong == 0);
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 20.0);
}

}  // namespace

TEST_CASE("truncated files are refused at every cut point, naming the cut") {
    const auto rgb = noise(23, 11, 3, 101);
    every_cut_refused("PNG (stb)", stb_png(rgb), 8);
    every_cut_refused("PNG (sample)", read_file(data_dir + "/images/rocket_224.png"), 8);
    every_cut_refused("palette PNG", png_file(4, 2, 8, 3, plte({{{1, 2, 3}}, {{4, 5, 6}}}), rows_of({{0, 1, 1, 0}, {1, 1, 0, 0}})), 8);
    every_cut_refused("JPEG (stb)", stb_jpg(rgb), 3);
    for (const char* name : {"progressive_24x16.jpg", "gray_progressive_24x16.jpg", "restart_24x16.jpg"})
        every_cut_refused(name, read_file(data_dir + "/io/" + name), 3);
    const bytes bmp24 = stb_bmp(rgb);
    every_cut_refused("24-bit BMP", prefix(bmp24, bmp24.size() - 3), 2);  // without the last row's padding
    bmp_spec s;
    s.width = 9;
    s.height = 3;
    s.palette = {{{1, 1, 1}}, {{2, 2, 2}}};
    s.bpp = 1;
    every_cut_refused("1-bit BMP", bmp_file(s, bytes(4 + 4 + 2, 0x55)), 2);  // the last row without its padding
    s.bpp = 4;
    every_cut_refused("4-bit BMP", bmp_file(s, bytes(3 * 8 - 3, 0x10)), 2);
    every_cut_refused("GIF", gif_file(30, 20, pattern(600, 4)), 6);
    const load_options all = all_formats();
    every_cut_refused("TGA", stb_tga(rgb, false), 18, all);
    every_cut_refused("RLE TGA", stb_tga(noise(23, 11, 3, 102, 0, 1), true), 18, all);
    bytes planes(23 * 11 * 3);
    for (std::size_t i = 0; i < planes.size(); ++i) planes[i] = std::uint8_t(i);
    every_cut_refused("PSD", psd_file(23, 11, planes, false), 4, all);
    every_cut_refused("RLE PSD", psd_file(23, 11, planes, true), 4, all);
    every_cut_refused("PNM", pnm_file("P6\n23 11\n255\n", bytes(rgb.data(), rgb.data() + rgb.size())), 2, all);
    every_cut_refused("PIC", pic_file(23, 11, bytes(rgb.data(), rgb.data() + rgb.size())), 4, all);
    every_cut_refused("RLE PIC", pic_file(4, 2, {0x83, 9, 8, 7, 0x83, 6, 5, 4}, {0, 8, 2, 0xe0}), 4, all);
}

TEST_CASE("a truncated Radiance HDR file returns at once (stb 2.27 would never return)") {
    const bytes hdr = hdr_file(64, 8);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t cut = 10; cut < hdr.size(); ++cut)
        CHECK_THROWS_WITH_AS((void)pixlime::decode_image(hdr.data(), cut, all_formats()),
                             doctest::Contains("HDR is never decoded"), pixlime::io_error);
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 5.0);
}

// =============================================================================================
// Files: load_image and save_png
// =============================================================================================

TEST_CASE("load_image: missing, unreadable, too large, damaged files and bad channel counts") {
    refused([] { (void)pixlime::load_image("/no/such.png"); }, kind::io, "load_image path",
            "pixlime: load_image path = '/no/such.png': expected an existing, readable file (No such file or directory)");
    refused([] { (void)pixlime::load_image(data_dir); }, kind::io, "load_image path", "a readable file (Is a directory)");
    refused([] { (void)pixlime::load_image("x.png", 5); }, kind::invalid, "load_image channels", "load_image channels = 5");
    load_options o;
    o.channels = 7;
    refused([&] { (void)pixlime::load_image("x.png", o); }, kind::invalid, "load_image 'x.png' load_options.channels", "= 7");

    // Not an image, and a damaged file: the messages name them.
    const std::string text = "pixlime_test_io_text.png";
    write_file(text, bytes{'t', 'h', 'i', 's', ' ', 'i', 's', ' ', 'n', 'o', 't', ' ', 'a', ' ', 'P', 'N', 'G'});
    refused([&] { (void)pixlime::load_image(text); }, kind::io, "load_image '" + text + "' data",
            "load_image '" + text + "' data = not an image: the first bytes (74 68 69 73 20 69 73 20) match no supported format");
    std::remove(text.c_str());
    const std::string cut = "pixlime_test_io_cut.png";
    write_file(cut, prefix(read_file(data_dir + "/images/coffee_224.png"), 2000));
    refused([&] { (void)pixlime::load_image(cut); }, kind::io, "load_image '" + cut + "' data",
            "load_image '" + cut + "' data = PNG truncated after 2000 of at least");
    std::remove(cut.c_str());

    // A 3 GiB (sparse) file is refused from its size, before it is read.
    const std::string big = "pixlime_test_io_big.png";
    {
        std::ofstream out(big, std::ios::binary);
        out.write("\x89PNG\r\n\x1a\n", 8);
        out.seekp((std::streamoff{3} << 30) - 1);
        out.put(0);
    }
    refused([&] { (void)pixlime::load_image(big); }, kind::size_limit, "load_image path",
            "'" + big + "' of 3221225472 bytes: expected a file of at most load_options::max_file_bytes = 1073741824 bytes");
    std::remove(big.c_str());
    // Over a lowered bound while reading (the size known only after the first 64 KiB).
    const std::string sample = data_dir + "/images/chelsea_full.png";
    o = {};
    o.max_file_bytes = 70000;
    refused([&] { (void)pixlime::load_image(sample, o); }, kind::size_limit, "load_image path", "max_file_bytes = 70000 bytes");
}

TEST_CASE("save_png: empty images, too many channels, unwritable paths, no partial files") {
    refused([] { pixlime::save_png("x.png", pixlime::image<std::uint8_t>()); }, kind::invalid, "save_png image",
            "save_png image = empty: expected a non-empty image");
    refused([] { pixlime::save_png("x.png", pixlime::image<std::uint8_t>(2, 2, 5)); }, kind::invalid, "save_png image channels",
            "save_png image channels = 5");
    refused([] { pixlime::save_png("/no/such/dir/out.png", noise(4, 4, 3, 1)); }, kind::io, "save_png path",
            "pixlime: save_png path = '/no/such/dir/out.png': expected a writable file path (No such file or directory)");
    CHECK_FALSE(file_exists("/no/such/dir/out.png"));
    CHECK_FALSE(file_exists("x.png"));

#if defined(__unix__) || defined(__APPLE__)
    // A folder in the way: refused, and no temporary file is left beside it.
    const std::string dir = "pixlime_test_io_dir.png";
    ::mkdir(dir.c_str(), 0755);
    refused([&] { pixlime::save_png(dir, noise(4, 4, 3, 1)); }, kind::io, "save_png path", "expected a writable file path (Is a directory)");
    ::rmdir(dir.c_str());
    // A device: written directly, with the system's reason when that fails.
    if (file_exists("/dev/full"))
        refused([] { pixlime::save_png("/dev/full", noise(4, 4, 3, 1)); }, kind::io, "save_png path", "(No space left on device)");
    // A write that fails half way (file size limit): no partial file, and an existing file keeps its content.
    const std::string path = "pixlime_test_io_partial.png";
    const auto small = noise(2, 2, 3, 1);
    pixlime::save_png(path, small);
    const bytes before = read_file(path);
    const auto big = noise(64, 64, 3, 2);  // ~12 KB of noise
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit limited = saved;
    limited.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &limited);
    const std::string fresh = "pixlime_test_io_fresh.png";
    std::string m1, m2;
    try {
        pixlime::save_png(path, big);
    } catch (const pixlime::io_error& e) {
        m1 = e.what();
    }
    try {
        pixlime::save_png(fresh, big);
    } catch (const pixlime::io_error& e) {
        m2 = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    CHECK_MESSAGE(contains(m1, "save_png path = '" + path + "': expected a writable file path (File too large)"), m1);
    CHECK_MESSAGE(contains(m2, "(File too large)"), m2);
    CHECK(read_file(path) == before);
    CHECK_FALSE(file_exists(fresh));
    // No temporary files left behind in the folder.
    std::string listing;
    if (std::FILE* ls = ::popen("ls -a", "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, ls)) listing += buf;
        ::pclose(ls);
    }
    CHECK_MESSAGE(!contains(listing, ".pixlime-"), listing);
    // Replacing an existing file keeps its permissions.
    ::chmod(path.c_str(), 0600);
    pixlime::save_png(path, big);
    struct ::stat st {};
    ::stat(path.c_str(), &st);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(pixlime::load_image(path) == big);
    std::remove(path.c_str());
#endif
}

TEST_CASE("encode_png: the bytes save_png writes, decoded back to the same pixels, any stride") {
    const pixlime::image<std::uint8_t> img = noise(7, 5, 3, 4);
    const std::vector<std::uint8_t> png = pixlime::encode_png(img.view());
    const pixlime::image<std::uint8_t> back = pixlime::decode_image(png);
    REQUIRE(back.width() == 7);
    REQUIRE(back.height() == 5);
    REQUIRE(back.channels() == 3);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 7; ++x)
            for (int c = 0; c < 3; ++c) CHECK(back.at(x, y, c) == img.at(x, y, c));
    const std::string path = "/tmp/pixlime_encode_png_" + std::to_string(::getpid()) + ".png";
    pixlime::save_png(path, img);
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(file == png);
    std::remove(path.c_str());
    pixlime::image<std::uint8_t> empty;
    refused([&] { (void)pixlime::encode_png(empty.view()); }, kind::invalid, "encode_png image",
            "encode_png image = empty: expected a non-empty image");
}

TEST_CASE("at least 60 hostile cases ran") {
    // doctest runs test cases in file order by default; the tables above count themselves.
    CHECK(hostile_count >= 60);
    MESSAGE("hostile table cases: " << hostile_count);
}
