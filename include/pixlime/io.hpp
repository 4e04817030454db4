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
///
/// The implementation is in pixlime/detail/io/: one header per format's structural check
/// (png, jpeg, bmp, gif, tga, psd, pnm, pic, each citing its specification), identify.hpp
/// (signatures), stb_bridge.hpp (the calls into stb, the flip checks), decode.hpp and
/// atomic_write.hpp.

#include <pixlime/detail/io/atomic_write.hpp>
#include <pixlime/detail/io/decode.hpp>
#include <pixlime/detail/io/stb_bridge.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
/// `options` as detail/io/decode.hpp takes them.
inline settings settings_of(const load_options& options) {
    const image_formats& f = options.formats;
    return {options.channels, options.limits, options.max_file_bytes,
            {false, f.png, f.jpeg, f.bmp, f.gif, f.tga, f.psd, f.pnm, f.pic, false}};
}
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
    return detail::io::decode(data, size, "decode_image", detail::io::settings_of(options));
}

/// decode_image(data.data(), data.size(), options).
inline image<std::uint8_t> decode_image(const std::vector<std::uint8_t>& data, const load_options& options = {}) {
    return detail::io::decode(data.data(), data.size(), "decode_image", detail::io::settings_of(options));
}

/// Reads the file at `path` into memory and decodes it as decode_image does (messages then
/// name "load_image 'PATH'"). A file larger than options.max_file_bytes is refused before it
/// is read.
/// Throws pixlime::io_error when the file cannot be opened or read (with the system's
/// reason), and everything decode_image throws.
inline image<std::uint8_t> load_image(const std::string& path, const load_options& options = {}) {
    return detail::io::load(path, detail::io::settings_of(options));
}

/// load_image(path, options) with options.channels = `channels` (0: as stored, 1..4: converted).
inline image<std::uint8_t> load_image(const std::string& path, int channels) {
    if (channels < 0 || channels > 4)
        throw invalid_argument("load_image channels", channels, "0 (as stored) or 1 to 4");
    load_options options;
    options.channels = channels;
    return load_image(path, options);
}

/// An 8-bit image of 1 to 4 channels (gray, gray+alpha, RGB, RGBA) encoded as PNG in memory (what
/// save_png writes; a service sends it as it is); any row stride is accepted.
/// Throws pixlime::invalid_argument for an empty image or more than 4 channels,
/// pixlime::size_limit_error for an image over 2^31 - 1 bytes of PNG scanlines (what
/// stb_image_write encodes), pixlime::io_error when stb_image_write cannot encode it (out of memory).
inline std::vector<std::uint8_t> encode_png(image_view<const std::uint8_t> img, const std::string& what = "encode_png") {
    return detail::io::encode_png(img, what);
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
    const std::vector<std::uint8_t> png = encode_png(img, "save_png");
    detail::io::write_atomically(path, png.data(), png.size(), "save_png path");
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
    detail::io::write_atomically(path, data, size, "write_file path");
}

/// write_file(path, text.data(), text.size()).
inline void write_file(const std::string& path, const std::string& text) { write_file(path, text.data(), text.size()); }

}  // namespace pixlime
