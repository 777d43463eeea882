#include "cli/commands.h"

namespace hybridrec::cli {

// Placeholder until the subsystem lands; replaced by the real command.
void register_validate(CLI::App& app) { (void)app; }

}  // namespace hybridrec::cli
