// Fuzz target: a --config file (YAML) and --set overrides, loaded the way
// `train --config FILE --set a.b=c` loads them: parsed, merged over the
// defaults, checked against the schema (ranges, types, unknown keys, the size and
// alias-expansion limits). The input is the file, then after "\n====\n" one
// override per line. Only hybridrec::Error (a refusal naming the key) may leave
// the loader: a raw yaml-cpp or json exception, a crash or a sanitizer report is
// a finding.
#include <sstream>
#include <vector>

#include "fuzz_input.h"
#include "train/config.h"

using namespace hybridrec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchFolder scratch;
  const auto input = fuzz::split_input(data, size);
  std::vector<std::string> overrides;
  if (input.has_second) {
    std::istringstream lines{std::string(input.second)};
    for (std::string line; std::getline(lines, line) && overrides.size() < 16;) overrides.push_back(line);
  }
  const auto file = scratch.write("config.yaml", input.main);
  try {
    (void)load_config(input.options & 1 ? std::optional<std::filesystem::path>() : std::optional(file), overrides);
  } catch (const hybridrec::Error&) {
  }
  return 0;
}
