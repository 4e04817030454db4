// Reading and writing image files: decode_image / load_image / save_png / encode_png, the public
// front of pixlime/io.hpp (round trips, channel conversion, stb's flip settings, truncation of
// every format at every cut, load_image's and save_png's files). Each format's own cases are in
// test_io_<format>.cpp; the helpers in test_io_support.hpp.
//
// Hostile inputs are built from bytes: images written by stb_image_write, or assembled
// by hand (palette PNGs, GIFs, BMP variants, TGA, PSD, PNM, PIC, HDR), then cut, corrupted or
// given impossible headers. Expected pixels come from the bytes the test wrote, never from
// the decoder under test. Tiny JPEGs that stb_image_write cannot produce (progressive,
// restart markers) are in tests/data/io (see its README).
#include "test_io_support.hpp"

#include <thread>

#if defined(__unix__) || defined(__APPLE__)
#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

// Inside the helpers' namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_io_test {

// =============================================================================================
// Valid files
// =============================================================================================

TEST_CASE("PNG round trips of gray, gray+alpha, RGB and RGBA, through files and memory") {
    for (int c = 1; c <= 4; ++c) {
        const auto img = noise(17, 9, c, unsigned(c));
        const std::string path = "pixlime_test_io_roundtrip_" + std::to_string(c) + ".png";
        pixlime::save_png(path, img);
        CHECK(pixlime::load_image(path) == img);
        CHECK(pixlime::decode_image(read_file(path)) == img);
        CHECK(pixlime::load_image(path, c) == img);
        std::remove(path.c_str());
    }
}

TEST_CASE("save_png takes views with a row stride") {
    const auto img = noise(5, 4, 3, 7);
    std::vector<std::uint8_t> wide(4 * 20, 99);
    for (int y = 0; y < 4; ++y) std::memcpy(&wide[std::size_t(y) * 20], img.data() + y * 15, 15);
    const std::string path = "pixlime_test_io_stride.png";
    pixlime::save_png(path, pixlime::image_view<const std::uint8_t>(wide.data(), 5, 4, 3, 20));
    CHECK(pixlime::load_image(path) == img);
    std::remove(path.c_str());
}

TEST_CASE("the bundled sample images load as 224x224 RGB") {
    for (const char* name : {"astronaut_224.png", "chelsea_224.png", "coffee_224.png", "rocket_224.png"}) {
        INFO(name);
        const auto img = pixlime::load_image(data_dir + "/images/" + name);
        CHECK(img.width() == 224);
        CHECK(img.height() == 224);
        CHECK(img.channels() == 3);
        CHECK(img == stb_decode(read_file(data_dir + "/images/" + name)));
    }
    CHECK(pixlime::load_image(data_dir + "/images/chelsea_224.png", 4).channels() == 4);
}

TEST_CASE("channel conversion follows stb's rules") {
    // RGB source: gray = (77 R + 150 G + 29 B) >> 8, alpha added as 255.
    const auto rgb = noise(6, 5, 3, 11);
    const bytes png = stb_png(rgb);
    load_options o;
    o.channels = 1;
    const auto gray = pixlime::decode_image(png, o);
    o.channels = 2;
    const auto gray_alpha = pixlime::decode_image(png, o);
    o.channels = 4;
    const auto rgba = pixlime::decode_image(png, o);
    REQUIRE(gray.channels() == 1);
    REQUIRE(gray_alpha.channels() == 2);
    REQUIRE(rgba.channels() == 4);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 6; ++x) {
            const int r = rgb.at(x, y, 0), g = rgb.at(x, y, 1), b = rgb.at(x, y, 2);
            CHECK(gray.at(x, y) == (77 * r + 150 * g + 29 * b) >> 8);
            CHECK(gray_alpha.at(x, y, 0) == gray.at(x, y));
            CHECK(gray_alpha.at(x, y, 1) == 255);
            CHECK((rgba.at(x, y, 0) == r && rgba.at(x, y, 1) == g && rgba.at(x, y, 2) == b && rgba.at(x, y, 3) == 255));
        }
    // Gray source: RGB repeats the value; RGBA source to RGB drops alpha.
    const auto g1 = noise(4, 3, 1, 12);
    o.channels = 3;
    const auto g3 = pixlime::decode_image(stb_png(g1), o);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) CHECK((g3.at(x, y, 0) == g1.at(x, y) && g3.at(x, y, 1) == g1.at(x, y) && g3.at(x, y, 2) == g1.at(x, y)));
    const auto a4 = noise(4, 3, 4, 13);
    const auto a3 = pixlime::decode_image(stb_png(a4), o);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x)
            for (int c = 0; c < 3; ++c) CHECK(a3.at(x, y, c) == a4.at(x, y, c));
}

TEST_CASE("stb's flip settings do not turn images upside down") {
    const auto img = noise(3, 4, 3, 51);
    const bytes png = stb_png(img);
    stbi_set_flip_vertically_on_load(1);
    const auto loaded = pixlime::decode_image(png);
    const auto bmp_loaded = pixlime::decode_image(top_down(stb_bmp(img)));
    stbi_set_flip_vertically_on_load(0);
    CHECK(loaded == img);
    CHECK(bmp_loaded == img);
    const std::string path = "pixlime_test_io_flip.png";
    stbi_flip_vertically_on_write(1);
    pixlime::save_png(path, img);
    stbi_flip_vertically_on_write(0);
    CHECK(pixlime::load_image(path) == img);
    std::remove(path.c_str());
}

TEST_CASE("a flip setting changed after pixlime's first load and save is still undone (the checks are not cached)") {
    // pixlime asks stb for its flip settings on every call: a program may set them at any time,
    // or for one thread only (stbi_set_flip_vertically_on_load_thread).
    const auto img = noise(3, 4, 3, 52);
    const bytes png = stb_png(img);
    stbi_set_flip_vertically_on_load(0);
    stbi_flip_vertically_on_write(0);
    CHECK(pixlime::decode_image(png) == img);  // the first load and save, with the flags off
    const std::vector<std::uint8_t> encoded = pixlime::encode_png(img.view());
    CHECK(stb_decode(encoded) == img);
    stbi_set_flip_vertically_on_load(1);  // now set
    const auto loaded = pixlime::decode_image(png);
    stbi_set_flip_vertically_on_load(0);
    stbi_flip_vertically_on_write(1);
    const std::vector<std::uint8_t> encoded_flag_set = pixlime::encode_png(img.view());
    stbi_flip_vertically_on_write(0);
    CHECK(loaded == img);
    CHECK(encoded_flag_set == encoded);  // the same bytes, top row first
    CHECK(pixlime::decode_image(png) == img);  // and unset again
    CHECK(pixlime::encode_png(img.view()) == encoded);
    // The load flag of one thread only: that thread's images are undone, the others' untouched.
    pixlime::image<std::uint8_t> on_flipping_thread;
    std::thread([&] {
        stbi_set_flip_vertically_on_load_thread(1);
        on_flipping_thread = pixlime::decode_image(png);
    }).join();
    CHECK(on_flipping_thread == img);
    CHECK(pixlime::decode_image(png) == img);
}

// =============================================================================================
// Truncation at every cut point
// =============================================================================================

/// Every prefix of `file` (from `first` bytes on) is refused with an io_error saying it is
/// truncated after exactly that many bytes; the whole file decodes.
void every_cut_refused(const std::string& name, const bytes& file, std::size_t first, const load_options& o = {}) {
    INFO(name);
    CHECK_NOTHROW((void)pixlime::decode_image(file, o));
    const auto start = std::chrono::steady_clock::now();
    std::size_t wrong = 0;
    for (std::size_t cut = first; cut < file.size(); ++cut) {
        try {
            (void)pixlime::decode_image(file.data(), cut, o);
            if (wrong++ < 3) FAIL_CHECK("accepted " << cut << " of " << file.size() << " bytes");
        } catch (const pixlime::io_error& e) {
            const std::string said = " truncated after " + std::to_string(cut) + " of ";
            if (!contains(e.what(), said) && wrong++ < 3) FAIL_CHECK(cut << " bytes: " << std::string(e.what()));
        }
    }
    CHECK(wrong == 0);
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 20.0);
}

TEST_CASE("truncated files are refused at every cut point, naming the cut") {
    const auto rgb = noise(23, 11, 3, 101);
    every_cut_refused("PNG (stb)", stb_png(rgb), 8);
    every_cut_refused("PNG (sample)", read_file(data_dir + "/images/rocket_224.png"), 8);
    every_cut_refused("palette PNG", png_file(4, 2, 8, 3, plte({{{1, 2, 3}}, {{4, 5, 6}}}), rows_of({{0, 1, 1, 0}, {1, 1, 0, 0}})), 8);
    every_cut_refused("JPEG (stb)", stb_jpg(rgb), 3);
    for (const char* name : {"progressive_24x16.jpg", "gray_progressive_24x16.jpg", "restart_24x16.jpg"})
        every_cut_refused(name, read_file(data_dir + "/io/" + name), 3);
    const bytes bmp24 = stb_bmp(rgb);
    every_cut_refused("24-bit BMP", prefix(bmp24, bmp24.size() - 3), 2);  // without the last row's padding
    bmp_spec s;
    s.width = 9;
    s.height = 3;
    s.palette = {{{1, 1, 1}}, {{2, 2, 2}}};
    s.bpp = 1;
    every_cut_refused("1-bit BMP", bmp_file(s, bytes(4 + 4 + 2, 0x55)), 2);  // the last row without its padding
    s.bpp = 4;
    every_cut_refused("4-bit BMP", bmp_file(s, bytes(3 * 8 - 3, 0x10)), 2);
    every_cut_refused("GIF", gif_file(30, 20, pattern(600, 4)), 6);
    const load_options all = all_formats();
    every_cut_refused("TGA", stb_tga(rgb, false), 18, all);
    every_cut_refused("RLE TGA", stb_tga(noise(23, 11, 3, 102, 0, 1), true), 18, all);
    bytes planes(23 * 11 * 3);
    for (std::size_t i = 0; i < planes.size(); ++i) planes[i] = std::uint8_t(i);
    every_cut_refused("PSD", psd_file(23, 11, planes, false), 4, all);
    every_cut_refused("RLE PSD", psd_file(23, 11, planes, true), 4, all);
    every_cut_refused("PNM", pnm_file("P6\n23 11\n255\n", bytes(rgb.data(), rgb.data() + rgb.size())), 2, all);
    every_cut_refused("PIC", pic_file(23, 11, bytes(rgb.data(), rgb.data() + rgb.size())), 4, all);
    every_cut_refused("RLE PIC", pic_file(4, 2, {0x83, 9, 8, 7, 0x83, 6, 5, 4}, {0, 8, 2, 0xe0}), 4, all);
}

TEST_CASE("a truncated Radiance HDR file returns at once (stb 2.27 would never return)") {
    const bytes hdr = hdr_file(64, 8);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t cut = 10; cut < hdr.size(); ++cut)
        CHECK_THROWS_WITH_AS((void)pixlime::decode_image(hdr.data(), cut, all_formats()),
                             doctest::Contains("HDR is never decoded"), pixlime::io_error);
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 5.0);
}

// =============================================================================================
// Files: load_image and save_png
// =============================================================================================

TEST_CASE("load_image: missing, unreadable, too large, damaged files and bad channel counts") {
    refused([] { (void)pixlime::load_image("/no/such.png"); }, kind::io, "load_image path",
            "pixlime: load_image path = '/no/such.png': expected an existing, readable file (No such file or directory)");
    refused([] { (void)pixlime::load_image(data_dir); }, kind::io, "load_image path", "a readable file (Is a directory)");
    refused([] { (void)pixlime::load_image("x.png", 5); }, kind::invalid, "load_image channels", "load_image channels = 5");
    load_options o;
    o.channels = 7;
    refused([&] { (void)pixlime::load_image("x.png", o); }, kind::invalid, "load_image 'x.png' load_options.channels", "= 7");

    // Not an image, and a damaged file: the messages name them.
    const std::string text = "pixlime_test_io_text.png";
    write_file(text, bytes{'t', 'h', 'i', 's', ' ', 'i', 's', ' ', 'n', 'o', 't', ' ', 'a', ' ', 'P', 'N', 'G'});
    refused([&] { (void)pixlime::load_image(text); }, kind::io, "load_image '" + text + "' data",
            "load_image '" + text + "' data = not an image: the first bytes (74 68 69 73 20 69 73 20) match no supported format");
    std::remove(text.c_str());
    const std::string cut = "pixlime_test_io_cut.png";
    write_file(cut, prefix(read_file(data_dir + "/images/coffee_224.png"), 2000));
    refused([&] { (void)pixlime::load_image(cut); }, kind::io, "load_image '" + cut + "' data",
            "load_image '" + cut + "' data = PNG truncated after 2000 of at least");
    std::remove(cut.c_str());

    // A 3 GiB (sparse) file is refused from its size, before it is read.
    const std::string big = "pixlime_test_io_big.png";
    {
        std::ofstream out(big, std::ios::binary);
        out.write("\x89PNG\r\n\x1a\n", 8);
        out.seekp((std::streamoff{3} << 30) - 1);
        out.put(0);
    }
    refused([&] { (void)pixlime::load_image(big); }, kind::size_limit, "load_image path",
            "'" + big + "' of 3221225472 bytes: expected a file of at most load_options::max_file_bytes = 1073741824 bytes");
    std::remove(big.c_str());
    // Over a lowered bound while reading (the size known only after the first 64 KiB).
    const std::string sample = data_dir + "/images/chelsea_full.png";
    o = {};
    o.max_file_bytes = 70000;
    refused([&] { (void)pixlime::load_image(sample, o); }, kind::size_limit, "load_image path", "max_file_bytes = 70000 bytes");
}

TEST_CASE("save_png: empty images, too many channels, unwritable paths, no partial files") {
    refused([] { pixlime::save_png("x.png", pixlime::image<std::uint8_t>()); }, kind::invalid, "save_png image",
            "save_png image = empty: expected a non-empty image");
    refused([] { pixlime::save_png("x.png", pixlime::image<std::uint8_t>(2, 2, 5)); }, kind::invalid, "save_png image channels",
            "save_png image channels = 5");
    refused([] { pixlime::save_png("/no/such/dir/out.png", noise(4, 4, 3, 1)); }, kind::io, "save_png path",
            "pixlime: save_png path = '/no/such/dir/out.png': expected a writable file path (No such file or directory)");
    CHECK_FALSE(file_exists("/no/such/dir/out.png"));
    CHECK_FALSE(file_exists("x.png"));

#if defined(__unix__) || defined(__APPLE__)
    // A folder in the way: refused, and no temporary file is left beside it.
    const std::string dir = "pixlime_test_io_dir.png";
    ::mkdir(dir.c_str(), 0755);
    refused([&] { pixlime::save_png(dir, noise(4, 4, 3, 1)); }, kind::io, "save_png path", "expected a writable file path (Is a directory)");
    ::rmdir(dir.c_str());
    // A device: written directly, with the system's reason when that fails.
    if (file_exists("/dev/full"))
        refused([] { pixlime::save_png("/dev/full", noise(4, 4, 3, 1)); }, kind::io, "save_png path", "(No space left on device)");
    // A write that fails half way (file size limit): no partial file, and an existing file keeps its content.
    const std::string path = "pixlime_test_io_partial.png";
    const auto small = noise(2, 2, 3, 1);
    pixlime::save_png(path, small);
    const bytes before = read_file(path);
    const auto big = noise(64, 64, 3, 2);  // ~12 KB of noise
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit limited = saved;
    limited.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &limited);
    const std::string fresh = "pixlime_test_io_fresh.png";
    std::string m1, m2;
    try {
        pixlime::save_png(path, big);
    } catch (const pixlime::io_error& e) {
        m1 = e.what();
    }
    try {
        pixlime::save_png(fresh, big);
    } catch (const pixlime::io_error& e) {
        m2 = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    CHECK_MESSAGE(contains(m1, "save_png path = '" + path + "': expected a writable file path (File too large)"), m1);
    CHECK_MESSAGE(contains(m2, "(File too large)"), m2);
    CHECK(read_file(path) == before);
    CHECK_FALSE(file_exists(fresh));
    // No temporary files left behind in the folder.
    std::string listing;
    if (std::FILE* ls = ::popen("ls -a", "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, ls)) listing += buf;
        ::pclose(ls);
    }
    CHECK_MESSAGE(!contains(listing, ".pixlime-"), listing);
    // Replacing an existing file keeps its permissions.
    ::chmod(path.c_str(), 0600);
    pixlime::save_png(path, big);
    struct ::stat st {};
    ::stat(path.c_str(), &st);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(pixlime::load_image(path) == big);
    std::remove(path.c_str());
#endif
}

TEST_CASE("encode_png: the bytes save_png writes, decoded back to the same pixels, any stride") {
    const pixlime::image<std::uint8_t> img = noise(7, 5, 3, 4);
    const std::vector<std::uint8_t> png = pixlime::encode_png(img.view());
    const pixlime::image<std::uint8_t> back = pixlime::decode_image(png);
    REQUIRE(back.width() == 7);
    REQUIRE(back.height() == 5);
    REQUIRE(back.channels() == 3);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 7; ++x)
            for (int c = 0; c < 3; ++c) CHECK(back.at(x, y, c) == img.at(x, y, c));
    const std::string path = "/tmp/pixlime_encode_png_" + std::to_string(::getpid()) + ".png";
    pixlime::save_png(path, img);
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(file == png);
    std::remove(path.c_str());
    pixlime::image<std::uint8_t> empty;
    refused([&] { (void)pixlime::encode_png(empty.view()); }, kind::invalid, "encode_png image",
            "encode_png image = empty: expected a non-empty image");
}

TEST_CASE("at least 60 hostile cases ran") {
    // The tables run in their own files' test cases, which ctest runs one file at a time (and
    // doctest orders by file name), so they are counted here rather than as they run; the 2 are
    // the null-pointer calls after the last table.
    const std::size_t hostile_count = hostile_pngs().size() + hostile_jpegs().size() + hostile_bmps().size() +
                                      hostile_gifs().size() + hostile_other_formats().size() + 2;
    CHECK(hostile_count >= 60);
    MESSAGE("hostile table cases: " << hostile_count);
}

}  // namespace pixlime_io_test
