# ctest fixture of each fuzz target: a fresh copy of the seed corpus to fuzz from (libFuzzer adds
# what it finds to its corpus folder: that must not be the source tree), and the artifacts folder.
#   cmake -DSEEDS=... -DWORK=... -DARTIFACTS=... -P prepare_corpus.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}" "${ARTIFACTS}")
file(GLOB _seeds "${SEEDS}/*")
file(COPY ${_seeds} DESTINATION "${WORK}")
