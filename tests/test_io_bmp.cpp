// pixlime/io.hpp on BMP files (pixlime/detail/io/bmp.hpp): bottom-up and top-down, 1 to 32 bits,
// OS/2 palettes, and hostile BMPs (cut, palette indices past the palette, RLE, odd headers, ...).
#include "test_io_support.hpp"

// Inside the helpers' namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_io_test {

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

// The table of "hostile BMPs" below (a function, so that test_io.cpp's "at least 60 hostile cases
// ran" can count it whichever files run).
std::vector<hostile> hostile_bmps() {
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
    return t;
}

TEST_CASE("hostile BMPs") {
    run(hostile_bmps());
}

}  // namespace pixlime_io_test
