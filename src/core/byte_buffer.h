#pragma once
// Packing plain values into the byte messages of MPI exchanges, and reading them
// back in the same order (both ends run the same binary, so no byte-order fuss).
#include <cstddef>
#include <vector>

namespace hybridrec::dist {

template <class T>
void append(std::vector<char>& out, const T* data, std::size_t n) {
  const auto* bytes = reinterpret_cast<const char*>(data);
  out.insert(out.end(), bytes, bytes + n * sizeof(T));
}

// n values at the cursor, which moves past them.
template <class T>
const T* take(const char*& cursor, std::size_t n) {
  const auto* p = reinterpret_cast<const T*>(cursor);
  cursor += n * sizeof(T);
  return p;
}

}  // namespace hybridrec::dist
