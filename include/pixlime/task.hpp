#pragma once
/// \file pixlime/task.hpp
/// pixlime::task: what the classifier's output columns are, and so what is explained
/// (explain_options::task, curve_options::task, explanation::task):
///
/// | task           | the model returns                                  | what is explained                          |
/// |----------------|----------------------------------------------------|--------------------------------------------|
/// | classification | one column per class; or one column, P(class 1)    | classes (a single column: {0: 1 - p, 1: p}) |
/// | regression     | exactly one column, any finite value               | the value: label 0, weights in its units   |
///
///     pixlime::explain_options opt;
///     opt.task = pixlime::task::regression;   // e.g. a model that predicts an age, a price, a count

#include <pixlime/detail/names.hpp>

#include <array>
#include <string>
#include <string_view>

namespace pixlime {

/// What a model's output is (see the table of the file comment).
enum class task {
    /// One column per class (a probability, a score or a logit each), or a single column that is
    /// a binary model's P(class 1) in [0, 1], explained as the two classes {0: 1 - p, 1: p}.
    classification,
    /// Exactly one column of any finite value (no [0, 1] check): a single explained output,
    /// label 0, "the value"; the weights are in the value's units.
    regression,
};

/// "classification" or "regression".
inline std::string to_string(task t) {
    switch (t) {
        case task::classification: return "classification";
        case task::regression: return "regression";
    }
    return "task(" + std::to_string(int(t)) + ")";
}

/// Every task, in declaration order: what parse_task accepts (by to_string name).
inline constexpr std::array<task, 2> tasks = {task::classification, task::regression};

/// The task whose to_string is `name` ("regression" -> task::regression): the one parser of
/// task names, for Python's task= and the command lines. Throws pixlime::invalid_argument
/// naming `parameter` (the caller's name for it, e.g. "--task"), `name` and every accepted name.
inline task parse_task(std::string_view name, const std::string& parameter = "parse_task name") {
    return detail::parse_name(name, tasks, parameter);
}

namespace detail {

/// Throws pixlime::invalid_argument naming `option` (e.g. "explain_options.task") unless `t` is a
/// pixlime::task value.
inline void check_task(task t, const std::string& option) {
    if (t != task::classification && t != task::regression)
        throw invalid_argument(option, int(t), "a pixlime::task value: " + quoted_names(tasks));
}

}  // namespace detail

}  // namespace pixlime
