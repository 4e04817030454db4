#pragma once
/// \file pixlime/detail/names.hpp
/// Parsing the names of the built-in stages (sampling, segmenter_kind, fill_kind): one loop
/// over an enum's values and its to_string, so that each name is written once, in to_string,
/// and the list of accepted names in an error message cannot drift from what is accepted.

#include <pixlime/error.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace pixlime::detail {

/// "'a', 'b', 'c'": the names of `values` (through to_string, found by argument-dependent
/// lookup in the enum's namespace), quoted as a user types them.
template <class Enum, std::size_t N>
std::string quoted_names(const std::array<Enum, N>& values) {
    std::string text;
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) text += ", ";
        text += "'" + to_string(values[i]) + "'";
    }
    return text;
}

/// The value of `values` whose to_string is `name` (exactly: names are case-sensitive, as the
/// Python keywords and command-line values that use them). Throws pixlime::invalid_argument
/// naming `parameter`, `name` and every accepted name (`aliases`, when not empty, is appended
/// to that list: names accepted besides the canonical ones).
template <class Enum, std::size_t N>
Enum parse_name(std::string_view name, const std::array<Enum, N>& values, const std::string& parameter,
                const std::string& aliases = {}) {
    for (const Enum v : values)
        if (to_string(v) == name) return v;
    throw invalid_argument(parameter, std::string(name),
                           "one of " + quoted_names(values) + (aliases.empty() ? std::string() : " (" + aliases + ")"));
}

}  // namespace pixlime::detail
