// pixlime/io.hpp on the formats off by default (pixlime/detail/io/tga.hpp, psd.hpp, pnm.hpp,
// pic.hpp): TGA, PSD, PNM and PIC files decode when enabled; hostile files of these formats,
// disabled formats, non-images and bad arguments are refused.
#include "test_io_support.hpp"

// Inside the helpers' namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_io_test {

TEST_CASE("formats off by default decode when enabled: TGA, PSD, PNM, PIC") {
    const auto rgb = noise(5, 3, 3, 41);
    const auto o = all_formats();
    CHECK(pixlime::decode_image(stb_tga(rgb, false), o) == rgb);
    CHECK(pixlime::decode_image(stb_tga(rgb, true), o) == rgb);
    const auto rgba = noise(5, 3, 4, 42);
    CHECK(pixlime::decode_image(stb_tga(rgba, true), o) == rgba);
    const auto g = noise(5, 3, 1, 43);
    CHECK(pixlime::decode_image(stb_tga(g, false), o) == g);
    // Colour-mapped TGA.
    const std::vector<std::array<std::uint8_t, 3>> map = {{{5, 6, 7}}, {{50, 60, 70}}};
    const auto mapped = pixlime::decode_image(tga_mapped(2, 1, map, {1, 0}), o);
    CHECK((mapped.at(0, 0, 0) == 50 && mapped.at(1, 0, 2) == 7));

    // PSD: planes R, G, B; the result is RGBA with alpha 255.
    bytes planes;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 5; ++x) planes.push_back(rgb.at(x, y, c));
    for (bool rle : {false, true}) {
        const auto psd = pixlime::decode_image(psd_file(5, 3, planes, rle), o);
        REQUIRE(psd.channels() == 4);
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 5; ++x)
                for (int c = 0; c < 4; ++c) CHECK(psd.at(x, y, c) == (c < 3 ? rgb.at(x, y, c) : 255));
    }
    // PNM: P6 and P5, with a comment.
    CHECK(pixlime::decode_image(pnm_file("P6\n# a comment\n5 3\n255\n", bytes(rgb.data(), rgb.data() + rgb.size())), o) == rgb);
    CHECK(pixlime::decode_image(pnm_file("P5 5 3 255\n", bytes(g.data(), g.data() + g.size())), o) == g);
    // PIC: stored as RGB, converted by pixlime from stb's RGBA (also to 1 channel).
    const auto pic = pixlime::decode_image(pic_file(5, 3, bytes(rgb.data(), rgb.data() + rgb.size())), o);
    CHECK(pic == rgb);
    load_options gray_pic = o;
    gray_pic.channels = 1;
    const auto pic1 = pixlime::decode_image(pic_file(5, 3, bytes(rgb.data(), rgb.data() + rgb.size())), gray_pic);
    CHECK(pic1.at(4, 2) == (77 * rgb.at(4, 2, 0) + 150 * rgb.at(4, 2, 1) + 29 * rgb.at(4, 2, 2)) >> 8);
}

// The table of "hostile inputs of other formats, ..." below (a function, so that test_io.cpp's
// "at least 60 hostile cases ran" can count it whichever files run).
std::vector<hostile> hostile_other_formats() {
    const auto rgb = noise(5, 3, 3, 91);
    const bytes rgb_bytes(rgb.data(), rgb.data() + rgb.size());
    const load_options all = all_formats();
    const bytes tga = stb_tga(rgb, false), tga_rle = stb_tga(rgb, true);
    bytes planes(45, 7);
    const bytes psd = psd_file(5, 3, planes, false), psd_rle = psd_file(5, 3, planes, true);
    const bytes ppm = pnm_file("P6\n5 3\n255\n", rgb_bytes), pic = pic_file(5, 3, rgb_bytes);
    std::vector<hostile> t;
    const std::string defaults = "expected PNG, JPEG, BMP or GIF";
    t.push_back({"TGA off by default", tga, data_param,
                 "decode_image data = TGA file: expected PNG, JPEG, BMP or GIF (TGA is decoded only with load_options::formats.tga = true)"});
    t.push_back({"PSD off by default", psd, data_param, "PSD file: " + defaults + " (PSD is decoded only with load_options::formats.psd = true)"});
    t.push_back({"PNM off by default", ppm, data_param, "PNM file: " + defaults + " (PNM is decoded only with load_options::formats.pnm = true)"});
    t.push_back({"PIC off by default", pic, data_param, "PIC file: " + defaults + " (PIC is decoded only with load_options::formats.pic = true)"});
    {
        load_options no_png;
        no_png.formats.png = false;
        t.push_back({"PNG switched off", stb_png(rgb), data_param, "PNG file: expected JPEG, BMP or GIF (PNG is decoded only with load_options::formats.png = true)",
                     kind::io, no_png});
    }
    // Radiance HDR: refused before stb sees it (stb 2.27 loops forever on a truncated one).
    const bytes hdr = hdr_file(16, 4);
    t.push_back({"HDR", hdr, data_param, "Radiance HDR file: " + defaults + " (HDR is never decoded"});
    t.push_back({"HDR with every format on", hdr, data_param,
                 "Radiance HDR file: expected PNG, JPEG, BMP, GIF, TGA, PSD, PNM or PIC (HDR is never decoded", kind::io, all});
    t.push_back({"truncated HDR", prefix(hdr, hdr.size() - 5), data_param, "HDR is never decoded: stb 2.27's HDR decoder never returns", kind::io, all});
    t.push_back({"HTML", bytes{'<', 'h', 't', 'm', 'l', '>', '<', '/'}, data_param,
                 "not an image: the first bytes (3c 68 74 6d 6c 3e 3c 2f) match no supported format: " + defaults});
    t.push_back({"TIFF", bytes{'I', 'I', 42, 0, 8, 0, 0, 0}, data_param, "a TIFF file (first bytes 49 49 2a 00"});
    t.push_back({"ASCII PPM", pnm_file("P3\n1 1\n255\n1 2 3\n", {}), data_param, "a PNM file of a kind stb does not decode", kind::io, all});
    t.push_back({"empty", {}, data_param, "decode_image data = 0 bytes: an empty file"});

    t.push_back({"TGA cut", prefix(tga, tga.size() - 1), data_param,
                 "TGA truncated after " + std::to_string(tga.size() - 1) + " of " + std::to_string(18 + 45) + " bytes", kind::io, all});
    t.push_back({"RLE TGA cut", prefix(tga_rle, tga_rle.size() - 2), data_param, "(its RLE data holds", kind::io, all});
    const std::vector<std::array<std::uint8_t, 3>> map = {{{1, 2, 3}}, {{4, 5, 6}}};
    t.push_back({"TGA colour index 7 of 2", tga_mapped(2, 1, map, {0, 7}), data_param, "TGA colour index 7 outside the colour map's 2 entries",
                 kind::io, all});
    t.push_back({"TGA colour map from entry 5", tga_mapped(2, 1, map, {0, 1}, 5), data_param, "TGA colour map starting at entry 5", kind::io, all});
    {
        bytes b = tga;
        b[17] |= 0x10;
        t.push_back({"TGA right to left", b, data_param, "TGA stored right to left", kind::io, all});
    }
    t.push_back({"PSD cut", prefix(psd, psd.size() - 10), data_param,
                 "PSD truncated after " + std::to_string(psd.size() - 10) + " of " + std::to_string(psd.size()) + " bytes", kind::io, all});
    t.push_back({"RLE PSD cut", prefix(psd_rle, psd_rle.size() - 3), data_param, "PSD truncated after", kind::io, all});
    t.push_back({"16-bit RLE PSD", psd_file(5, 3, bytes(90, 0), true, 3, 16), data_param, "16-bit PSD with RLE-compressed image data", kind::io, all});
    t.push_back({"gray PSD", psd_file(5, 3, planes, false, 3, 8, 1), data_param, "PSD in colour mode 1", kind::io, all});
    t.push_back({"1-channel RGB PSD", psd_file(5, 3, bytes(15, 0), false, 1), data_param, "RGB PSD with 1 channels", kind::io, all});
    t.push_back({"PSB", psd_file(5, 3, planes, false, 3, 8, 3, 2), data_param, "PSD version 2 (PSB, large document)", kind::io, all});
    t.push_back({"PNM cut", prefix(ppm, ppm.size() - 1), data_param,
                 "PNM truncated after " + std::to_string(ppm.size() - 1) + " of " + std::to_string(ppm.size()) + " bytes", kind::io, all});
    t.push_back({"16-bit PNM", pnm_file("P5 1 1 65535\n", {0x12, 0x34}), data_param, "PNM with maxval 65535", kind::io, all});
    t.push_back({"PNM maxval 15", pnm_file("P5 2 1 15\n", {15, 7}), data_param, "PNM with maxval 15: expected maxval 255", kind::io, all});
    t.push_back({"PNM width overflowing an int", pnm_file("P5 99999999999 1 255\n", {1}), data_param, "PNM header with a width over 2^31",
                 kind::io, all});
    // A header asking for more than the limits names the limit, not the missing pixels (the
    // file ends with the header, or in it once the size is read).
    t.push_back({"PNM of 100000 x 100000, header only", pnm_file("P5\n100000 100000\n255\n", {}), size_param,
                 "decode_image size = 100000x100000: expected at most limits.max_pixels = 268435456 pixels", kind::size_limit, all});
    t.push_back({"PPM of 100000 x 100000, cut in the maxval", pnm_file("P6 100000 100000 2", {}), size_param,
                 "decode_image size = 100000x100000: expected at most limits.max_pixels", kind::size_limit, all});
    {
        load_options few = all;
        few.limits.max_pixels = 1000;
        t.push_back({"PNM over a lowered max_pixels, cut after the height", pnm_file("P5 50 50\n", {}), size_param,
                     "decode_image size = 50x50: expected at most limits.max_pixels = 1000 pixels", kind::size_limit, few});
    }
    t.push_back({"PIC cut in the pixels", prefix(pic, pic.size() - 4), data_param, "PIC truncated after", kind::io, all});
    t.push_back({"PIC of 16-bit packets", pic_file(5, 3, rgb_bytes, {0, 16, 0, 0xe0}), data_param, "PIC packet of 16 bits", kind::io, all});
    t.push_back({"PIC of 0x3", pic_file(0, 3, rgb_bytes), data_param, "PIC header with a size of 0x3", kind::io, all});
    {
        load_options o;
        o.channels = 5;
        t.push_back({"channels 5", stb_png(rgb), "decode_image load_options.channels", "load_options.channels = 5: expected 0 (as stored) or 1 to 4",
                     kind::invalid, o});
        o.channels = -1;
        t.push_back({"channels -1", stb_png(rgb), "decode_image load_options.channels", "= -1", kind::invalid, o});
        o = {};
        o.max_file_bytes = 100;
        t.push_back({"over max_file_bytes", stb_png(rgb), data_param, "expected at most load_options::max_file_bytes = 100 bytes",
                     kind::size_limit, o});
    }
    return t;
}

TEST_CASE("hostile inputs of other formats, disabled formats, non-images and bad arguments") {
    run(hostile_other_formats());
    refused([] { (void)pixlime::decode_image(nullptr, 10); }, kind::invalid, data_param, "decode_image data = null: expected a pointer");
    refused([] { (void)pixlime::decode_image(nullptr, 0); }, kind::io, data_param, "decode_image data = 0 bytes: an empty file");
}

}  // namespace pixlime_io_test
