#pragma once
/// \file pixlime/detail/io/pnm.hpp
/// The structural check of a binary PGM (P5) or PPM (P6) file (off by default) before
/// stb_image decodes it, following Netpbm's pgm(5) and ppm(5) format descriptions: the magic
/// number, then width, height and maxval as ASCII decimal separated by whitespace, where "#"
/// starts a comment up to the end of the line, a single whitespace byte, then the raster of
/// width x height samples (1 per pixel for P5, 3 for P6; 1 byte each when maxval < 256).

#include <pixlime/detail/io/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace pixlime {
namespace detail {
namespace io {

/// Reads the header of the P5 or P6 file `in` and checks its raster is all there (see the top
/// of this header): its size and channels. Throws pixlime::io_error naming what is wrong,
/// pixlime::size_limit_error over the limits.
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

}  // namespace io
}  // namespace detail
}  // namespace pixlime
