#pragma once
/// \file pixlime/detail/io/gif.hpp
/// The structural check of a GIF file before stb_image decodes it, following the GIF89a
/// specification (CompuServe, 1990): the header and logical screen descriptor (sections 17,
/// 18), the global and local colour tables (19, 21), the image descriptor (20), the
/// extensions (23-26; the graphic control extension's block size is 4, section 23), data
/// sub-blocks (15), the trailer (27), and the variable-length-code LZW image data of the first
/// frame (section 22 and Appendix F), which is walked without producing pixels to find colour
/// indices past the colour table and frames whose data ends before their last pixel.

#include <pixlime/detail/io/bytes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pixlime {
namespace detail {
namespace io {

/// Data sub-blocks (GIF89a section 15: a size byte, then that many bytes; size 0 ends them)
/// from `pos` up to and including the terminator; returns the position after it.
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

/// Walks the LZW data of the first frame without producing pixels: counts the pixels it
/// yields and finds the largest colour index it uses. From the GIF89a specification, section
/// 22 ("Table Based Image Data") and Appendix F ("Variable-Length-Code LZW Compression"): a
/// byte giving the LZW minimum code size, then data sub-blocks whose bytes form one stream of
/// codes, packed least significant bit first, each `width` bits wide (initially the minimum
/// code size + 1). Codes below 2^min_size stand for one colour index; 2^min_size is the clear
/// code (the table back to those, the width back to its start), the next one the end of
/// information; every other code after the first adds a table entry, the previous code's string
/// followed by the first index of this code's string (or of the previous code's, when this code
/// is the entry being added: the "KwKwK" case), and the width grows by one bit once the next
/// free code needs it, up to 12 bits.
/// Where stb_image 2.27 is stricter than Appendix F, and pixlime refuses what it would misread:
/// the data must start with a clear code; the table holds at most 8192 entries (codes are never
/// wider than 12 bits, but stb keeps adding entries at that width); a code may only name an
/// entry already defined or the one being added; the minimum code size is at most 8 (colour
/// indices have at most 8 bits). A terminator sub-block without an end-of-information code also
/// ends the data; the pixels must then all be there.
inline std::size_t gif_first_frame(const input& in, std::size_t pos, std::int64_t pixels, unsigned table_entries) {
    const std::string cut = "the first frame's image data is cut short";
    const std::string corrupt = "a valid LZW stream (the file is corrupt)";
    in.need("GIF", pos, 1, true, cut);
    const unsigned min_size = in.d[pos++];
    if (min_size > 8) in.fail("GIF whose first frame has an LZW code size of " + num(std::int64_t(min_size)), "at most 8");

    // The code stream: bits taken from the data sub-blocks one byte at a time.
    std::size_t block_left = 0;  // bytes left in the current sub-block
    std::uint32_t bits = 0;      // bits read and not yet used, the oldest lowest
    unsigned bit_count = 0;
    const auto read_byte = [&]() -> bool {  // false at the terminator (a sub-block of size 0)
        if (block_left == 0) {
            in.need("GIF", pos, 1, true, cut);
            block_left = in.d[pos++];
            if (block_left == 0) return false;
        }
        --block_left;
        in.need("GIF", pos, 1, true, cut);
        bits |= std::uint32_t(in.d[pos++]) << bit_count;
        bit_count += 8;
        return true;
    };

    // The string table: for each code, how many pixels its string holds, its first colour
    // index and its largest one.
    struct entry {
        std::uint32_t length = 0;
        std::uint16_t first = 0, largest = 0;
    };
    constexpr unsigned table_size = 8192;
    std::vector<entry> table(table_size);
    const unsigned clear_code = 1u << min_size, end_code = clear_code + 1;
    for (unsigned c = 0; c < clear_code; ++c) table[c] = {1, std::uint16_t(c), std::uint16_t(c)};
    unsigned width = min_size + 1, next_code = end_code + 1;
    int previous = -1;  // the code before this one, -1 after a clear code
    bool cleared = false;
    std::int64_t drawn = 0;
    for (;;) {
        if (bit_count < width) {
            if (!read_byte()) break;
            continue;
        }
        const unsigned code = bits & ((1u << width) - 1u);
        bits >>= width;
        bit_count -= width;
        if (code == clear_code) {
            width = min_size + 1;
            next_code = end_code + 1;
            previous = -1;
            cleared = true;
            continue;
        }
        if (code == end_code) {  // the rest of the data is skipped
            in.need("GIF", pos, block_left, true, cut);
            pos = skip_sub_blocks(in, pos + block_left, cut);
            break;
        }
        if (code > next_code)
            in.fail("GIF whose first frame's LZW data uses code " + num(std::int64_t(code)) + " before defining it", corrupt);
        if (!cleared) in.fail("GIF whose first frame's LZW data does not start with a clear code", corrupt);
        if (previous >= 0) {
            const unsigned added = next_code++;
            if (next_code > table_size) in.fail("GIF whose first frame's LZW data defines more than 8192 codes", corrupt);
            const entry prior = table[unsigned(previous)];
            const std::uint16_t appended = code == added ? prior.first : table[code].first;
            table[added] = {prior.length + 1, prior.first, std::max(prior.largest, appended)};
        } else if (code == next_code) {
            in.fail("GIF whose first frame's LZW data uses code " + num(std::int64_t(code)) + " before defining it", corrupt);
        }
        if (table[code].largest >= table_entries)
            in.fail("GIF colour index " + num(std::int64_t(table[code].largest)) + " outside the colour table's " +
                        count_entries(table_entries),
                    "every pixel's colour index below " + num(std::int64_t(table_entries)));
        drawn += table[code].length;
        if (next_code % (1u << width) == 0 && next_code < 4096) ++width;  // the next free code needs another bit
        previous = int(code);
    }
    if (drawn < pixels)
        in.fail("GIF whose first frame's image data ends after " + num(drawn) + " of its " + num(pixels) + " pixels",
                "image data for every pixel of the frame (the file is damaged)");
    return pos;
}

/// Walks the blocks of the GIF `in` up to its trailer, and the first frame's LZW data (see the
/// top of this header): the screen size, RGBA, and the first frame's rectangle and background.
/// Throws pixlime::io_error naming what is wrong, pixlime::size_limit_error over the limits.
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

}  // namespace io
}  // namespace detail
}  // namespace pixlime
