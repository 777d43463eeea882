#pragma once
// Packing plain values into the byte messages of collective exchanges (MPI
// gathers), and reading them back in the same order (both ends run the same
// binary, so no byte-order fuss).
#include <cstddef>
#include <cstring>
#include <vector>

namespace hybridrec {

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

// The same, copied onto the end of `out` (no alignment needed of the cursor).
template <class T>
void take_into(const char*& cursor, std::vector<T>& out, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, cursor, n * sizeof(T));
  cursor += n * sizeof(T);
}

// A whole message of values of one type, and back.
template <class T>
std::vector<char> bytes_of(const std::vector<T>& values) {
  std::vector<char> out;
  append(out, values.data(), values.size());
  return out;
}
template <class T>
std::vector<T> values_of(const std::vector<char>& bytes) {
  std::vector<T> out;
  const char* cursor = bytes.data();
  take_into(cursor, out, bytes.size() / sizeof(T));
  return out;
}

}  // namespace hybridrec
