#pragma once
/// \file pixlime/detail/io/decode.hpp
/// The decoding path behind decode_image and load_image: the bounds on the input, the format
/// from its signature (detail/io/identify.hpp), the structural check of that format
/// (detail/io/<format>.hpp, each following its specification), stb_image's decode
/// (detail/io/stb_bridge.hpp), the repairs stb 2.27 needs (padded palettes, GIF backgrounds),
/// and the copy into a pixlime::image, top row first, with the channels asked for. Also
/// load_image's bounded read of a file into memory.

#include <pixlime/detail/io/atomic_write.hpp>
#include <pixlime/detail/io/bmp.hpp>
#include <pixlime/detail/io/bytes.hpp>
#include <pixlime/detail/io/gif.hpp>
#include <pixlime/detail/io/identify.hpp>
#include <pixlime/detail/io/jpeg.hpp>
#include <pixlime/detail/io/pic.hpp>
#include <pixlime/detail/io/png.hpp>
#include <pixlime/detail/io/pnm.hpp>
#include <pixlime/detail/io/psd.hpp>
#include <pixlime/detail/io/stb_bridge.hpp>
#include <pixlime/detail/io/tga.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// What decoding takes of pixlime::load_options (defined in io.hpp, which converts it).
struct settings {
    int channels = 0;
    pixlime::limits lim;
    std::int64_t max_file_bytes = 0;
    format_set formats{};
};

/// Decodes the `size` bytes at `data` (see pixlime::decode_image); `what` names them in
/// messages ("decode_image", "load_image 'PATH'").
inline image<std::uint8_t> decode(const byte* data, std::size_t size, const std::string& what, const settings& opt) {
    const input in{data, size, what, opt.channels, opt.lim};
    if (in.d == nullptr && in.n > 0) throw invalid_argument(in.what + " data", "null", "a pointer to the file's bytes");
    if (opt.channels < 0 || opt.channels > 4)
        throw invalid_argument(in.what + " load_options.channels", opt.channels, "0 (as stored) or 1 to 4");
    if (std::int64_t(std::min<std::size_t>(in.n, std::size_t(INT64_MAX))) > opt.max_file_bytes)
        throw size_limit_error(in.what + " data", num(in.n) + " bytes",
                               "at most load_options::max_file_bytes = " + num(opt.max_file_bytes) + " bytes");
    if (in.n > std::size_t(INT_MAX))
        throw size_limit_error(in.what + " data", num(in.n) + " bytes", "at most 2^31 - 1 bytes (what stb_image takes)");

    const format f = identify(in.d, in.n);
    const format_set& on = opt.formats;
    const bool enabled = f != format::unknown && f != format::hdr && on[std::size_t(f)];
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
    image<std::uint8_t> out(r.width, r.height, out_channels, 0, opt.lim);
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

/// Reads the file at `path` into memory, refusing more than opt.max_file_bytes (or 2^31 - 1)
/// bytes, then decodes it (see pixlime::load_image).
inline image<std::uint8_t> load(const std::string& path, const settings& options) {
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
    return decode(bytes.data(), bytes.size(), what, options);
}

}  // namespace io
}  // namespace detail
}  // namespace pixlime
