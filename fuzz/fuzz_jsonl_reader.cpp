// Fuzz target: a JSON lines interactions file, keys found by alias or named by
// flags (the Amazon review layout), loaded the way `train --data FILE.jsonl` does.
#include "fuzz_input.h"

using namespace hybridrec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchFolder scratch;
  const auto input = fuzz::split_input(data, size);
  LoadOptions options;
  options.format = "jsonl";
  if (input.options & 1) {
    options.user_column = "reviewerID";
    options.item_column = "asin";
    options.timestamp_column = "unixReviewTime";
  }
  if (input.options & 2) options.weight_column = "overall";
  if (input.options & 4) options.value_column = "overall";
  if (input.options & 8) options.split_column = "part";
  options.strict = (input.options & 16) == 0;
  const auto interactions = scratch.write("interactions.jsonl", input.main);
  fuzz::load_refusing_cleanly(interactions, options);
  return 0;
}
