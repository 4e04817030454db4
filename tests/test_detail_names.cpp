// Tests of pixlime/detail/names.hpp: the names of an enum's values (through its to_string) are
// what parse_name accepts, exactly, and what its error message lists.
#include "support.hpp"

#include <pixlime/detail/names.hpp>

#include <array>
#include <string>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_names_test {

enum class fruit { apple, banana, cherry_pie };

inline std::string to_string(fruit f) {  // found by argument-dependent lookup
    switch (f) {
        case fruit::apple: return "apple";
        case fruit::banana: return "banana";
        case fruit::cherry_pie: return "cherry pie";
    }
    return "fruit(?)";
}

constexpr std::array<fruit, 3> fruits = {fruit::apple, fruit::banana, fruit::cherry_pie};

namespace d = pixlime::detail;

TEST_CASE("names: quoted_names lists every name, quoted, in order") {
    CHECK(d::quoted_names(fruits) == "'apple', 'banana', 'cherry pie'");
    CHECK(d::quoted_names(std::array<fruit, 1>{fruit::banana}) == "'banana'");
    CHECK(d::quoted_names(std::array<fruit, 0>{}).empty());
}

TEST_CASE("names: parse_name returns the value of every name, and only of the exact name") {
    for (fruit f : fruits) {
        CAPTURE(to_string(f));
        CHECK(d::parse_name(to_string(f), fruits, "opt.fruit") == f);
    }
    // The first values come first: a list with a repeated name gives the earlier value.
    CHECK(d::parse_name("banana", std::array<fruit, 2>{fruit::banana, fruit::apple}, "p") == fruit::banana);
    for (const char* wrong : {"Apple", "APPLE", " apple", "apple ", "appl", "", "cherry_pie", "cherry  pie", "fruit(?)"}) {
        CAPTURE(wrong);
        const auto e = test::error_of<pixlime::invalid_argument>([&] { d::parse_name(wrong, fruits, "opt.fruit"); });
        CHECK(e.parameter() == "opt.fruit");
        CHECK(e.value() == wrong);
        CHECK(e.expected() == "one of 'apple', 'banana', 'cherry pie'");
    }
    // Aliases are listed after the names (they are accepted by the caller, not by parse_name).
    const auto e = test::error_of<pixlime::invalid_argument>([] { d::parse_name("pear", fruits, "f", "'pomme' = 'apple'"); });
    CHECK(e.expected() == "one of 'apple', 'banana', 'cherry pie' ('pomme' = 'apple')");
    CHECK(std::string(e.what()) == "pixlime: f = pear: expected one of 'apple', 'banana', 'cherry pie' ('pomme' = 'apple')");
}

}  // namespace pixlime_detail_names_test
