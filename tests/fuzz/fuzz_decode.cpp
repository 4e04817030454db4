// libFuzzer target for pixlime::decode_image, with every format enabled.
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_decode.cpp -lstb
//   ./a.out -max_total_time=300 -timeout=10 -rss_limit_mb=2048 tests/fuzz/corpus/decode
//
// Only pixlime::error may escape decode_image; anything else (another exception, a crash, a
// hang, a sanitizer report) is a finding. Built with -DPIXLIME_STB_IMPLEMENTATION instead of
// -lstb, stb is compiled (and instrumented) here, and its allocations and the stack are
// filled with a pattern that differs between two decodes of each input: an image that
// depends on memory stb never wrote differs between the two, and the target aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(PIXLIME_STB_IMPLEMENTATION)
#if defined(__GNUC__)
#define FUZZ_NOINLINE __attribute__((noinline))
#else
#define FUZZ_NOINLINE
#endif
namespace fuzz {
unsigned char fill = 0;
constexpr std::size_t header = 16;  // the size, kept in front of each block
inline void* allocate(std::size_t n) {
    auto* p = static_cast<unsigned char*>(std::malloc(n + header));
    if (!p) return nullptr;
    std::memcpy(p, &n, sizeof n);
    std::memset(p + header, fill, n);
    return p + header;
}
inline void release(void* p) {
    if (p) std::free(static_cast<unsigned char*>(p) - header);
}
inline void* reallocate(void* p, std::size_t n) {
    void* q = allocate(n);
    if (q && p) {
        std::size_t old = 0;
        std::memcpy(&old, static_cast<unsigned char*>(p) - header, sizeof old);
        std::memcpy(q, p, old < n ? old : n);
    }
    if (q) release(p);
    return q;
}
/// Fills the stack below the caller with the pattern (stb keeps palettes on the stack).
FUZZ_NOINLINE void paint_stack() {
    volatile unsigned char area[1 << 16];
    for (std::size_t i = 0; i < sizeof area; ++i) area[i] = fill;
}
}  // namespace fuzz
#define STBI_MALLOC(n) fuzz::allocate(n)
#define STBI_REALLOC(p, n) fuzz::reallocate(p, n)
#define STBI_FREE(p) fuzz::release(p)
#endif

#include <pixlime/io.hpp>

namespace {

struct outcome {
    bool ok = false;
    std::string message;
    pixlime::image<std::uint8_t> img;
};

outcome decode(const std::uint8_t* data, std::size_t size, int channels) {
    pixlime::load_options o;
    o.channels = channels;
    o.formats.tga = o.formats.psd = o.formats.pnm = o.formats.pic = true;
    o.limits.max_pixels = std::int64_t{1} << 22;  // keeps each run fast and its memory bounded
    outcome r;
    try {
        r.img = pixlime::decode_image(data, size, o);
        r.ok = true;
    } catch (const pixlime::error& e) {
        r.message = e.what();
        if (r.message.rfind("pixlime: ", 0) != 0) {
            std::fprintf(stderr, "message without the pixlime prefix: %s\n", e.what());
            std::abort();
        }
    }
    return r;
}

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_decode: %s\n", what);
        std::abort();
    }
}

/// PNG chunk CRCs are a wall mutations rarely get through: for inputs of odd length, a PNG's
/// CRCs are recomputed first, so that stb's inflate and filters are exercised too.
std::vector<std::uint8_t> with_png_crcs(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> b(data, data + size);
    if (size < 8 || std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0 || size % 2 == 0) return b;
    for (std::size_t pos = 8; size - pos >= 12;) {
        const std::size_t len = std::size_t(b[pos]) << 24 | std::size_t(b[pos + 1]) << 16 | std::size_t(b[pos + 2]) << 8 | b[pos + 3];
        if (len > size - pos - 12) break;
        std::uint32_t c = 0xffffffffu;
        for (std::size_t i = pos + 4; i < pos + 8 + len; ++i) {
            c ^= b[i];
            for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
        c = ~c;
        for (int k = 0; k < 4; ++k) b[pos + 8 + len + std::size_t(k)] = std::uint8_t(c >> (24 - 8 * k));
        pos += 12 + len;
    }
    return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t raw_size) {
    const std::vector<std::uint8_t> input = with_png_crcs(raw, raw_size);
    const std::uint8_t* data = input.data();
    const std::size_t size = input.size();
    const int channels = size ? int(data[size - 1] % 5) : 0;  // 0 (as stored) to 4
#if defined(PIXLIME_STB_IMPLEMENTATION)
    fuzz::fill = 0x00;
    fuzz::paint_stack();
    const outcome a = decode(data, size, channels);
    fuzz::fill = 0xff;
    fuzz::paint_stack();
    const outcome b = decode(data, size, channels);
    check(a.ok == b.ok, "accepted once, refused once");
    check(a.message == b.message, "two different messages for one input");
    check(a.img == b.img, "the image depends on memory stb never wrote");
#else
    const outcome a = decode(data, size, channels);
#endif
    if (a.ok) {
        check(!a.img.empty() && a.img.width() >= 1 && a.img.height() >= 1, "an empty image decoded");
        check(channels == 0 ? (a.img.channels() >= 1 && a.img.channels() <= 4) : a.img.channels() == channels,
              "wrong channel count");
        check(a.img.size() == std::size_t(a.img.width()) * std::size_t(a.img.height()) * std::size_t(a.img.channels()),
              "inconsistent image size");
    }
    return 0;
}
