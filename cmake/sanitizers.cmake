# Instrumented builds, each in its own build directory (CMakePresets.json: asan, fuzz).
#
# PADTIMER_SANITIZE: AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer on
# every project target, the programs included: the integration tests run the real
# padtimerd, padtimer-sim and padtimerctl, so a finding there fails its test too.
# scripts/sanitize.sh builds build-asan and runs the whole suite.
#
# PADTIMER_FUZZ: the libFuzzer targets in tests/fuzz (clang only). Project code is built
# with coverage instrumentation (fuzzer-no-link) plus ASan and UBSan; only the fuzz
# executables link libFuzzer's main. scripts/fuzz.sh builds build-fuzz and runs them.
#
# Both abort on the first UBSan finding (no recovery), so a test or the fuzzer sees it as
# a crash instead of a line in a log. _GLIBCXX_ASSERTIONS adds libstdc++'s bounds checks
# (operator[], front(), back() on empty containers), which ASan cannot see inside objects.
option(PADTIMER_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(PADTIMER_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

set(padtimer_sanitizer_flags
  -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  -D_GLIBCXX_ASSERTIONS)

if(PADTIMER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "PADTIMER_FUZZ needs clang (libFuzzer), but the C++ compiler is "
      "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER}. Configure a separate build directory "
      "with CXX=clang++ (scripts/fuzz.sh or `cmake --preset fuzz`); Debian 12 "
      "packages: clang libclang-rt-14-dev.")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link ${padtimer_sanitizer_flags})
  add_link_options(-fsanitize=address,undefined)
elseif(PADTIMER_SANITIZE)
  add_compile_options(${padtimer_sanitizer_flags})
  add_link_options(-fsanitize=address,undefined)
  # The test preset "asan" sends every report here (log_path), including those of the
  # padtimerd, padtimer-sim and padtimerctl the integration tests start: a finding in a
  # child that a test kills or does not wait for is still seen (scripts/sanitize.sh).
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/sanitizer-logs)
endif()
