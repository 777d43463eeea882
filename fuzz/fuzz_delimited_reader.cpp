// Fuzz target: a delimited interactions file (CSV/TSV, with or without a header,
// columns named by flags or found by alias) and an optional item attribute table
// with inferred roles, loaded the way `train --data FILE --items FILE` loads them.
#include "fuzz_input.h"

using namespace hybridrec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchFolder scratch;
  const auto input = fuzz::split_input(data, size);
  LoadOptions options;
  options.format = "generic";
  constexpr const char* kSeparators[] = {"", ",", "\t", ";", "|", "::", "", ""};
  options.separator = kSeparators[input.options & 7];
  if (input.options & 8) options.header = (input.options & 16) != 0;
  if (input.options & 32) options.columns = {"user", "item", "rating", "time"};
  if (input.options & 64) options.weight_column = "3";
  options.strict = (input.options & 128) == 0;
  const auto interactions = scratch.write("interactions.csv", input.main);
  if (input.has_second) {
    options.items_file = scratch.write("items.csv", input.second);
    options.item_roles = {{"tags", "multi"}, {"price", "numeric"}};
  }
  fuzz::load_refusing_cleanly(interactions, options);
  return 0;
}
