// Tests of pixlime::grid (grid.hpp).
#include "support.hpp"

TEST_CASE("grid: rectangular cells, clipped cell counts, errors") {
    const auto g = pixlime::grid(10, 7, 3, 2);
    test::check_valid(g, 10, 7);
    CHECK(g.count() == 6);
    // Columns: floor(x * 3 / 10) -> 0 0 0 0 1 1 1 2 2 2; rows: floor(y * 2 / 7) -> 0 0 0 0 1 1 1.
    CHECK(g.label(0, 0) == 0);
    CHECK(g.label(3, 3) == 0);
    CHECK(g.label(4, 0) == 1);
    CHECK(g.label(9, 0) == 2);
    CHECK(g.label(0, 4) == 3);
    CHECK(g.label(9, 6) == 5);
    CHECK(pixlime::grid(5, 4, 100, 100).count() == 20);  // clipped to one pixel per cell
    test::check_valid(pixlime::grid(5, 4, 100, 100), 5, 4);
    CHECK(pixlime::grid(5, 4, pixlime::grid_options{1, 1}).count() == 1);
    CHECK(pixlime::grid(pixlime::image<float>(9, 9, 1), pixlime::grid_options{}).count() == 64);
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::grid(5, 4, 0, 2); }).parameter() == "grid_options.cells_x");
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::grid(5, 4, 2, -1); }).parameter() == "grid_options.cells_y");
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::grid(0, 4, 2, 2); }).parameter() == "grid width");
    CHECK(test::error_of<pixlime::size_limit_error>([] { (void)pixlime::grid(100000, 100000, 2, 2); }).parameter() == "grid size");
}
