#pragma once
/// \file pixlime/detail/io/pic.hpp
/// The structural check of a Softimage PIC file (off by default) before stb_image decodes it
/// (stb_image 2.27 crashes on damaged PIC files), following the Softimage PIC format as
/// Softimage documented it: a 104-byte big-endian header (magic 0x5380f634, version,
/// comment, "PICT", width, height, ratio, fields, padding), then chained channel packets of
/// 4 bytes (chained flag, bits per channel, compression: 0 uncompressed, 1 pure run-length,
/// 2 mixed run-length; channel mask: 0x80 red, 0x40 green, 0x20 blue, 0x10 alpha), then each
/// row's data, packet by packet.

#include <pixlime/detail/io/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// Walks the header, channel packets and every row's data of the PIC `in` (see the top of this
/// header): its size and channels. Throws pixlime::io_error naming what is wrong,
/// pixlime::size_limit_error over the limits.
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

}  // namespace io
}  // namespace detail
}  // namespace pixlime
