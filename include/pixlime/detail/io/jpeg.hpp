#pragma once
/// \file pixlime/detail/io/jpeg.hpp
/// The structural check of a JPEG file before stb_image decodes it, following ITU-T T.81 |
/// ISO/IEC 10918-1 Annex B (the interchange format): the marker codes (Table B.1) and fill
/// bytes (B.1.1.2), marker segments and their lengths (B.1.1.4), the frame header (B.2.2),
/// the scan header (B.2.3) and its progressive parameters (G.1.1.1), the table
/// specifications DQT (B.2.4.1), DHT (B.2.4.2, with the code-count bound of Annex C) and DRI
/// (B.2.4.4), DNL (B.2.5), and the entropy-coded segments with their 0xff 0x00 stuffing and
/// RSTn restart markers (B.1.1.5, E.1.4). What stb_image 2.27 does not decode (other SOFn
/// processes, 12-bit samples, DNL heights, ...) is refused by name.

#include <pixlime/detail/io/bytes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace pixlime {
namespace detail {
namespace io {

/// A marker's name as T.81 Table B.1 gives it ("DHT", "SOF2", "APP1"; "0xNN" for the others).
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

/// Walks the markers, segments and entropy-coded scans of the JPEG `in` from SOI to EOI (see the
/// top of this header): its size and channels. Throws pixlime::io_error naming what is wrong,
/// pixlime::size_limit_error over the limits.
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

}  // namespace io
}  // namespace detail
}  // namespace pixlime
