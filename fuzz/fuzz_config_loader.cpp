// Fuzz target: a `--config` file, loaded the way `train --config FILE` loads it
// (train/config.h load_config: the size limit, YAML to JSON with the alias and
// depth limits, the merge over the defaults and the schema checks), then read
// through the typed training view, which check_config promises cannot throw a
// library exception on a configuration it passed. The input bytes are the file.
#include "fuzz_input.h"
#include "train/config.h"

using namespace hybridrec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchFolder scratch;
  const auto file = scratch.write("config.yaml", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const nlohmann::json config = load_config(file, {});
    (void)TrainingConfig::from_json(config);
  } catch (const hybridrec::Error&) {
  }
  return 0;
}
