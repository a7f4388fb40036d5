# padtimer_discover_tests(TARGET [gtest_discover_tests options] LABELS l1 [l2...]
#                         [PROPERTIES name value...]):
# gtest_discover_tests with any number of labels. CMake 3.25's gtest_discover_tests flattens
# PROPERTIES, so LABELS "a;b" would set only "a"; the labels are applied instead by a file
# ctest reads after it has discovered the tests. LABELS takes the values up to the next
# keyword of gtest_discover_tests (PROPERTIES TIMEOUT 120 after them is passed on).
function(padtimer_discover_tests target)
  set(gtest_keywords EXTRA_ARGS WORKING_DIRECTORY TEST_PREFIX TEST_SUFFIX TEST_FILTER
    NO_PRETTY_TYPES NO_PRETTY_VALUES PROPERTIES TEST_LIST DISCOVERY_TIMEOUT XML_OUTPUT_DIR
    DISCOVERY_MODE)
  set(labels "")
  set(passed "")
  set(in_labels FALSE)
  foreach(arg IN LISTS ARGN)
    if(arg STREQUAL "LABELS")
      set(in_labels TRUE)
    elseif(in_labels AND NOT arg IN_LIST gtest_keywords)
      list(APPEND labels "${arg}")
    else()
      set(in_labels FALSE)
      list(APPEND passed "${arg}")
    endif()
  endforeach()
  gtest_discover_tests(${target} ${passed})
  set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake)
  file(WRITE ${labels_file}
    "set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${labels}\")\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
endfunction()
