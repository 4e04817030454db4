// pixlime/io.hpp on GIF files (pixlime/detail/io/gif.hpp): the first frame as RGBA, backgrounds,
// and hostile GIFs (cut LZW data, colour indices past the table, frames outside the screen, ...).
#include "test_io_support.hpp"

// Inside the helpers' namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_io_test {

TEST_CASE("GIF: the first frame, as RGBA; background and transparency") {
    const auto idx = pattern(7 * 5, 4);
    const auto img = pixlime::decode_image(gif_file(7, 5, idx));
    REQUIRE(img.channels() == 4);
    for (int i = 0; i < 35; ++i)
        for (int c = 0; c < 3; ++c) CHECK(img.data()[4 * i + c] == four_colours[idx[std::size_t(i)]][std::size_t(c)]);
    // Two frames: the second is ignored.
    bytes two = gif_screen(3, 2, four_colours);
    gif_frame f;
    f.w = 3;
    f.h = 2;
    f.pixels = {0, 1, 2, 3, 0, 1};
    append(two, gif_image(f));
    f.pixels = {3, 3, 3, 3, 3, 3};
    append(two, gif_image(f));
    two.push_back(0x3b);
    const auto first = pixlime::decode_image(two);
    CHECK(first.at(0, 0, 0) == 200);
    CHECK(first.at(2, 1, 1) == 200);
    // A 2x1 frame at (1, 1) of a 4x3 screen: background index 0 leaves the rest transparent
    // black; index 2 makes it colour 2, opaque.
    for (unsigned bg : {0u, 2u}) {
        bytes small = gif_screen(4, 3, four_colours, bg);
        gif_frame g;
        g.x = 1;
        g.y = 1;
        g.w = 2;
        g.h = 1;
        g.pixels = {3, 1};
        append(small, gif_image(g));
        small.push_back(0x3b);
        const auto s = pixlime::decode_image(small);
        CHECK(s.at(1, 1, 0) == 250);
        CHECK(s.at(2, 1, 1) == 200);
        if (bg == 0) CHECK((s.at(0, 0, 0) == 0 && s.at(0, 0, 3) == 0));
        if (bg == 2) CHECK((s.at(0, 0, 0) == 0 && s.at(0, 0, 2) == 200 && s.at(0, 0, 3) == 255));
        // Converted to RGB and gray like any RGBA image.
        load_options o;
        o.channels = 3;
        const auto rgb = pixlime::decode_image(small, o);
        o.channels = 1;
        const auto gray = pixlime::decode_image(small, o);
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 4; ++x) {
                for (int c = 0; c < 3; ++c) CHECK(rgb.at(x, y, c) == s.at(x, y, c));
                CHECK(gray.at(x, y) == (77 * s.at(x, y, 0) + 150 * s.at(x, y, 1) + 29 * s.at(x, y, 2)) >> 8);
            }
    }
}

// The table of "hostile GIFs" below (a function, so that test_io.cpp's "at least 60 hostile cases
// ran" can count it whichever files run).
std::vector<hostile> hostile_gifs() {
    const auto idx = pattern(20 * 10, 4);
    const bytes gif = gif_file(20, 10, idx);
    std::vector<hostile> t;
    t.push_back({"cut in the image data", prefix(gif, gif.size() - 20), data_param, "the first frame's image data is cut short"});
    t.push_back({"no trailer", prefix(gif, gif.size() - 1), data_param, "no trailer (0x3b) after the last block"});
    {
        // Two-entry colour table, LZW code size 2: index 3 does not exist.
        bytes b = gif_screen(2, 1, {{{1, 1, 1}}, {{2, 2, 2}}});
        gif_frame f;
        f.w = 2;
        f.h = 1;
        f.pixels = {0, 3};
        append(b, gif_image(f));
        b.push_back(0x3b);
        t.push_back({"colour index 3 of 2", b, data_param, "GIF colour index 3 outside the colour table's 2 entries"});
        // The LZW data ends (end code) after half the pixels.
        bytes half = gif_screen(4, 4, four_colours);
        f.w = 4;
        f.h = 4;
        f.pixels = {};
        f.data = lzw(pattern(8, 4), 2);
        append(half, gif_image(f));
        half.push_back(0x3b);
        t.push_back({"LZW data for half the pixels", half, data_param, "image data ends after 8 of its 16 pixels"});
        // No clear code first.
        bytes noclear = gif_screen(4, 1, four_colours);
        f.h = 1;
        f.data = lzw({0, 1, 2, 3}, 2, false);
        append(noclear, gif_image(f));
        noclear.push_back(0x3b);
        t.push_back({"no clear code", noclear, data_param, "does not start with a clear code"});
        // LZW code size 9.
        bytes wide = gif_screen(4, 1, four_colours);
        f.data = {};
        f.pixels = {0, 1, 2, 3};
        f.min_code_size = 9;
        append(wide, gif_image(f));
        wide.push_back(0x3b);
        t.push_back({"LZW code size 9", wide, data_param, "LZW code size of 9"});
        // A frame outside the screen.
        bytes outside = gif_screen(4, 4, four_colours);
        gif_frame g;
        g.x = 3;
        g.w = 2;
        g.h = 1;
        g.pixels = {0, 1};
        append(outside, gif_image(g));
        outside.push_back(0x3b);
        t.push_back({"frame outside the screen", outside, data_param, "GIF frame of 2x1 at (3, 0) outside its 4x4 screen"});
        // No colour table at all.
        bytes none = gif_screen(2, 1, {});
        g.x = 0;
        append(none, gif_image(g));
        none.push_back(0x3b);
        t.push_back({"no colour table", none, data_param, "without a colour table"});
    }
    t.push_back({"screen 0x10", gif_file(0, 10, {}), data_param, "GIF screen of 0x10 pixels"});
    {
        bytes b = gif_screen(2, 2, four_colours);
        b.push_back(0x99);
        t.push_back({"unknown block", b, data_param, "GIF block of type 0x99 at byte 25"});
        b = gif_screen(2, 2, four_colours);
        b.insert(b.end(), {0x21, 0xf9, 5, 0, 0, 0, 0, 0, 0});
        t.push_back({"graphic control extension of 5 bytes", b, data_param, "graphic control extension at byte 25 of 5 bytes"});
        b = gif_screen(2, 2, four_colours);
        b.push_back(0x3b);
        t.push_back({"no image", b, data_param, "GIF without any image"});
    }
    return t;
}

TEST_CASE("hostile GIFs") {
    run(hostile_gifs());
}

}  // namespace pixlime_io_test
