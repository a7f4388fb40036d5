// Replays fuzz inputs through a fuzz target without libFuzzer, in the normal build: every
// seed and every crash input ever found stays a regression test (CTest label `fuzz`).
//
//   fuzz_replay_<target> CORPUS_DIR [MORE_DIRS_OR_FILES...]
//
// The first argument must be a directory with at least one file. The others may be missing
// (tests/fuzz/regressions/<target>/ exists only once something was found). Files are run
// in name order; a violated invariant or a crash aborts, naming the input first.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "fuzz_support.h"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_in(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  if (!fs::is_directory(path, ec)) return files;
  for (const auto& entry : fs::directory_iterator(path)) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return false;
  }
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Named before it runs: an abort leaves the culprit as the last line of the log.
  std::fprintf(stderr, "input %s (%zu bytes)\n", file.c_str(), data.size());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MORE_DIRS_OR_FILES...]\n", argv[0]);
    return 2;
  }
  int failures = 0;
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const auto files = inputs_in(argv[i]);
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "%s: no inputs (the seed corpus must not be empty)\n", argv[i]);
      return 1;
    }
    for (const auto& f : files)
      failures += replay(f) ? 0 : 1;
    std::printf("replayed %zu inputs from %s\n", files.size(), argv[i]);
    total += files.size();
  }
  std::printf("%zu inputs, %d unreadable\n", total, failures);
  return failures == 0 ? 0 : 1;
}
