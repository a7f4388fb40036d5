# padtimer_discover_tests(TARGET LABELS l1 [l2...] [other gtest_discover_tests options]):
# gtest_discover_tests with any number of labels. CMake 3.25's gtest_discover_tests flattens
# PROPERTIES, so LABELS "a;b" would set only "a"; the labels are applied instead by a file
# ctest reads after it has discovered the tests.
function(padtimer_discover_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "LABELS")
  gtest_discover_tests(${target} ${ARG_UNPARSED_ARGUMENTS})
  set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake)
  string(REPLACE ";" "\\;" labels "${ARG_LABELS}")
  file(WRITE ${labels_file}
    "set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${labels}\")\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
endfunction()
