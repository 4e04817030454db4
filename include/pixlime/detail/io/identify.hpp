#pragma once
/// \file pixlime/detail/io/identify.hpp
/// Which format a file is, from its first bytes (never from its name): the signatures the
/// format specifications define (PNG spec 5.2: 89 50 4e 47 0d 0a 1a 0a; BMP: "BM" of
/// BITMAPFILEHEADER; GIF89a section 17: "GIF87a" or "GIF89a"; PSD: "8BPS"; Softimage PIC:
/// 53 80 f6 34 and "PICT" at byte 88; JPEG, ITU-T T.81 B.1.1.2 and B.1.1.3: fill bytes 0xff
/// then the SOI marker 0xd8; Netpbm: "P5" or "P6"; Radiance HDR: "#?RADIANCE" or "#?RGBE"),
/// tried in the order stb_image 2.27 tries its decoders, so that the decoder stb picks is
/// the one pixlime checked the file for; TGA, which has no signature, comes last
/// (detail/io/tga.hpp). Also the messages for files of no supported format, naming common
/// formats stb does not decode (TIFF, WebP, HEIF/AVIF, JPEG 2000, ICO, PDF, gzip).

#include <pixlime/detail/io/bytes.hpp>
#include <pixlime/detail/io/tga.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// The formats a call accepts, indexed by `format` (load_options::formats as an array; the
/// entries of format::unknown and format::hdr are never set).
using format_set = std::array<bool, 10>;

/// "PNG, JPEG, BMP or GIF": the formats `on` enables.
inline std::string enabled_list(const format_set& on) {
    std::vector<std::string> names;
    for (const format f : {format::png, format::jpeg, format::bmp, format::gif, format::tga, format::psd, format::pnm, format::pic})
        if (on[std::size_t(f)]) names.emplace_back(format_name(f));
    if (names.empty()) return "a format enabled in load_options::formats (all are disabled)";
    std::string s = names[0];
    for (std::size_t i = 1; i < names.size(); ++i) s += (i + 1 == names.size() ? " or " : ", ") + names[i];
    return s;
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

}  // namespace io
}  // namespace detail
}  // namespace pixlime
