// pixlime/io.hpp on PNG files (pixlime/detail/io/png.hpp): palette PNGs, 16-bit samples, and
// hostile PNGs (truncated, bad CRCs, palette indices past the PLTE, impossible headers, ...).
#include "test_io_support.hpp"

// Inside the helpers' namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_io_test {

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

// The table of "hostile PNGs" below (a function, so that test_io.cpp's "at least 60 hostile cases
// ran" can count it whichever files run).
std::vector<hostile> hostile_pngs() {
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
    return t;
}

TEST_CASE("hostile PNGs") {
    run(hostile_pngs());
}

}  // namespace pixlime_io_test
