// Tests of model_input.hpp: conversion to the classifier's form, and its validation.
#include "support.hpp"

#include <limits>

TEST_CASE("to_model_input: (pixel * scale - mean) / stddev, per output channel, in either layout") {
    const auto img = test::noise(5, 4, 3, 1, 0, 255);
    pixlime::model_input in;
    in.to_float = true;
    in.scale = 1.0 / 255;
    in.mean = {0.5, 0.25, 0.125};
    in.stddev = {2.0};
    in.channels = {1, 1, 0};
    in.validate(3);
    const auto nhwc = pixlime::detail::to_model_input<float>(img.view(), in);
    in.layout = pixlime::layout::nchw;
    const auto nchw = pixlime::detail::to_model_input<float>(img.view(), in);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 5; ++x)
            for (int c = 0; c < 3; ++c) {
                const int source = in.channels[std::size_t(c)];
                const float want = float((double(img.at(x, y, source)) / 255 - in.mean[std::size_t(c)]) / 2.0);
                CHECK(nhwc[std::size_t((y * 5 + x) * 3 + c)] == want);
                CHECK(nchw[std::size_t((c * 4 + y) * 5 + x)] == want);
            }
    // Nothing to convert: the values as stored.
    const pixlime::model_input identity;
    CHECK(identity.is_identity());
    const auto same = pixlime::detail::to_model_input<std::uint8_t>(img.view(), identity);
    CHECK(std::equal(same.begin(), same.end(), img.data()));
}

TEST_CASE("model_input names the field that does not fit the image") {
    auto param = [](const pixlime::model_input& in, int channels) {
        return test::error_of<pixlime::invalid_argument>([&] { in.validate(channels); }).parameter();
    };
    pixlime::model_input in;
    in.channels = {0, 3};
    CHECK(param(in, 3) == "model_input.channels[1]");
    in = {};
    in.scale = 0.5;  // scaling makes float values: needs to_float
    CHECK(param(in, 3) == "model_input.to_float");
    in.to_float = true;
    in.scale = 0;
    CHECK(param(in, 3) == "model_input.scale");
    in.scale = std::numeric_limits<double>::infinity();
    CHECK(param(in, 3) == "model_input.scale");
    in.scale = 1;
    in.mean = {1, 2};
    CHECK(param(in, 3) == "model_input.mean size");
    in.mean = {std::numeric_limits<double>::quiet_NaN()};
    CHECK(param(in, 3) == "model_input.mean[0]");
    in.mean = {};
    in.stddev = {1, 0, 1};
    CHECK(param(in, 3) == "model_input.stddev[1]");
    in.stddev = {};
    in.layout = pixlime::layout(5);
    CHECK(param(in, 3) == "model_input.layout");
    // Values that leave float's range are refused, not turned into Inf.
    pixlime::model_input huge;
    huge.to_float = true;
    huge.stddev = {1e-300};
    huge.validate(1);
    const pixlime::image<std::uint8_t> img(2, 2, 1, 200);
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::detail::to_model_input<float>(img.view(), huge); }).parameter() ==
          "model_input");
}
