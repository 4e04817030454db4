// pixlime/io.hpp on JPEG files (pixlime/detail/io/jpeg.hpp): baseline, progressive, gray and
// restart markers, and hostile JPEGs (cut scans, missing restart markers or scans, unsupported
// processes, undefined tables, ...). Tiny JPEGs that stb_image_write cannot produce are in
// tests/data/io (see its README).
#include "test_io_support.hpp"

// Inside the helpers' namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_io_test {

TEST_CASE("JPEG: baseline from stb_image_write, progressive, gray and restart markers decode as stb does") {
    const bytes jpg = stb_jpg(noise(24, 16, 3, 21, 60, 200));
    CHECK(pixlime::decode_image(jpg) == stb_decode(jpg));
    for (const char* name : {"progressive_24x16.jpg", "gray_progressive_24x16.jpg", "restart_24x16.jpg"}) {
        INFO(name);
        const bytes b = read_file(data_dir + "/io/" + name);
        const auto img = pixlime::decode_image(b);
        CHECK(img.width() == 24);
        CHECK(img.height() == 16);
        CHECK(img == stb_decode(b));
    }
}

// The table of "hostile JPEGs" below (a function, so that test_io.cpp's "at least 60 hostile cases
// ran" can count it whichever files run).
std::vector<hostile> hostile_jpegs() {
    const bytes jpg = stb_jpg(noise(24, 16, 3, 71, 40, 220));
    const std::size_t sof = jpeg_find(jpg, 0xc0), sos = jpeg_find(jpg, 0xda), dht = jpeg_find(jpg, 0xc4);
    const bytes restart = read_file(data_dir + "/io/restart_24x16.jpg");
    const bytes progressive = read_file(data_dir + "/io/progressive_24x16.jpg");
    std::vector<hostile> t;
    t.push_back({"cut in the scan", prefix(jpg, jpg.size() / 2 + sos / 2), data_param, "has no end: no EOI marker"});
    t.push_back({"no EOI", prefix(jpg, jpg.size() - 2), data_param, "JPEG truncated after " + std::to_string(jpg.size() - 2)});
    t.push_back({"cut in a DHT", prefix(jpg, dht + 30), data_param, "the DHT segment at byte " + std::to_string(dht) + " is cut short"});
    {
        // A restart interval of 1 MCU, but no RST marker in the scan.
        const bytes dri = insert(jpg, sos, {0xff, 0xdd, 0, 4, 0, 1});
        t.push_back({"DRI without restart markers", dri, data_param, "with 0 restart markers where its 2 MCUs at a restart interval of 1 need 1"});
        // restart_24x16.jpg has 5; drop the last.
        std::size_t last = restart.size() - 1;
        while (!(restart[last - 1] == 0xff && restart[last] == 0xd4)) --last;
        t.push_back({"a restart marker missing", erase(restart, last - 1, 2), data_param, "with 4 restart markers where"});
    }
    {
        // The scan names only component 1 of 3 (Ns = 1): components 2 and 3 are never coded.
        bytes b = jpg;
        const bytes header = {0xff, 0xda, 0, 8, 1, b[sos + 5], b[sos + 6], 0, 63, 0};
        b.erase(b.begin() + std::ptrdiff_t(sos), b.begin() + std::ptrdiff_t(sos + 2 + (std::size_t(b[sos + 2]) << 8 | b[sos + 3])));
        b.insert(b.begin() + std::ptrdiff_t(sos), header.begin(), header.end());
        t.push_back({"scan codes 1 of 3 components", b, data_param, "JPEG whose scans never code component 1"});
        bytes none = prefix(jpg, sos);
        none.insert(none.end(), {0xff, 0xd9});
        t.push_back({"no scan at all", none, data_param, "JPEG whose scans never code component 0"});
        // Progressive: drop the first scan (the DC scan of all components).
        const std::size_t first_scan = jpeg_find(progressive, 0xda);
        t.push_back({"progressive without its DC scan", erase(progressive, first_scan, scan_end(progressive, first_scan) - first_scan), data_param,
                     "never code component 0's DC coefficients"});
    }
    {
        bytes b = jpg;
        b[sof + 4] = 12;
        t.push_back({"12-bit samples", b, data_param, "JPEG with 12-bit samples"});
        b = jpg;
        set_be16(b, sof + 5, 0);
        t.push_back({"height 0 (DNL)", b, data_param, "frame header gives a height of 0"});
        b = jpg;
        b[sof + 1] = 0xc3;
        t.push_back({"lossless SOF3", b, data_param, "JPEG coded as SOF3 (lossless, hierarchical or arithmetic coding)"});
        b = jpg;
        b[sof + 9] = 2;
        t.push_back({"2 components", b, data_param, "JPEG with 2 components"});
        b = jpg;
        b[sos + 6] = 0x33;  // component 1 uses DC table 3 and AC table 3, never defined
        t.push_back({"undefined Huffman table", b, data_param, "using a Huffman table no DHT segment defined"});
        b = jpg;
        b[dht + 4] = 0x24;  // class 2
        t.push_back({"DHT class 2", b, data_param, "defining table class 2 number 4"});
        b = jpg;
        set_be16(b, sof + 5, 65535);
        set_be16(b, sof + 7, 65535);
        t.push_back({"65535 x 65535", b, size_param, "decode_image size = 65535x65535", kind::size_limit});
        b = insert(jpg, dht, {0x00});
        t.push_back({"a stray byte after the frame header", b, data_param, "with byte 0x00 at byte " + std::to_string(dht)});
    }
    return t;
}

TEST_CASE("hostile JPEGs") {
    run(hostile_jpegs());
}

}  // namespace pixlime_io_test
