// Tests of error.hpp: one message format, its parts as accessors, the class hierarchy.
#include "support.hpp"

#include <limits>

TEST_CASE("every error reads 'pixlime: NAME = VALUE: expected EXPECTED', with the parts as accessors") {
    const pixlime::invalid_argument e("explain_options.num_samples", 1, "at least 2");
    CHECK(std::string(e.what()) == "pixlime: explain_options.num_samples = 1: expected at least 2");
    CHECK(e.parameter() == "explain_options.num_samples");
    CHECK(e.value() == "1");
    CHECK(e.expected() == "at least 2");
    // Values print in the shortest form that reads back as the same number.
    CHECK(pixlime::error("w", 0.1, "x").value() == "0.1");
    CHECK(pixlime::error("w", 1e-200, "x").value() == "1e-200");
    CHECK(pixlime::error("w", 0.30000000000000004, "x").value() == "0.30000000000000004");
    CHECK(pixlime::error("w", std::numeric_limits<double>::quiet_NaN(), "x").value() == "nan");
    CHECK(pixlime::error("w", -std::numeric_limits<double>::infinity(), "x").value() == "-inf");
    CHECK(pixlime::error("w", 1.5f, "x").value() == "1.5");
    CHECK(pixlime::error("w", std::uint64_t{1} << 40, "x").value() == "1099511627776");
    CHECK(pixlime::error("w", std::uint8_t{200}, "x").value() == "200");
    CHECK(pixlime::error("w", "text", "x").value() == "text");
    CHECK(pixlime::error("w", std::string("s"), "x").value() == "s");
}

TEST_CASE("the classes say what kind of failure it is") {
    CHECK(std::is_base_of_v<std::runtime_error, pixlime::error>);
    CHECK(std::is_base_of_v<pixlime::error, pixlime::invalid_argument>);
    CHECK(std::is_base_of_v<pixlime::invalid_argument, pixlime::size_limit_error>);
    CHECK(std::is_base_of_v<pixlime::error, pixlime::io_error>);
    CHECK(std::is_base_of_v<pixlime::error, pixlime::classifier_error>);
    CHECK(std::is_base_of_v<pixlime::error, pixlime::stage_error>);
    CHECK(!std::is_base_of_v<pixlime::invalid_argument, pixlime::stage_error>);
    CHECK(!std::is_base_of_v<pixlime::classifier_error, pixlime::stage_error>);
    CHECK(std::is_base_of_v<pixlime::error, pixlime::cancelled>);
    CHECK(!std::is_base_of_v<pixlime::invalid_argument, pixlime::io_error>);
    // Caught as the base, the parts are still there.
    try {
        throw pixlime::size_limit_error("image size", "100000x100000", "at most limits.max_pixels = 268435456 pixels");
    } catch (const pixlime::error& e) {
        CHECK(e.parameter() == "image size");
        CHECK(test::contains(e.what(), "100000x100000"));
    }
}
