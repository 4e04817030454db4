// Tests of version.hpp.
#include "support.hpp"

TEST_CASE("version: the string and the numbers agree") {
    CHECK(std::string(pixlime::version) ==
          std::to_string(PIXLIME_VERSION_MAJOR) + "." + std::to_string(PIXLIME_VERSION_MINOR) + "." + std::to_string(PIXLIME_VERSION_PATCH));
    CHECK(pixlime::version_major == PIXLIME_VERSION_MAJOR);
    CHECK(pixlime::version_minor == PIXLIME_VERSION_MINOR);
    CHECK(pixlime::version_patch == PIXLIME_VERSION_PATCH);
}
