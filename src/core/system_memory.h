#pragma once
// The machine's physical memory, for the limits that refuse an allocation
// before it is attempted (EASE's item x item matrix, a model's tables).
#include <unistd.h>

namespace hybridrec {

// Bytes of physical memory; 0 when the system does not say.
inline double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

}  // namespace hybridrec
