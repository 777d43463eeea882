// sha256_file streams in 1 MiB chunks; a file spanning several chunks must hash
// exactly like the same bytes in memory.
#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "store/sha256.h"
#include "test_support.h"

TEST(Sha256, StreamedFileEqualsInMemoryDigest) {
  auto dir = hybridrec::testing::scratch_dir("sha");
  std::string bytes;
  for (int i = 0; i < 3 * (1 << 20) + 12345; ++i) bytes.push_back(static_cast<char>((i * 2654435761u) >> 24));
  hybridrec::write_file_atomic(dir / "blob", bytes);
  EXPECT_EQ(hybridrec::store::sha256_file(dir / "blob"), hybridrec::store::sha256_hex(bytes));
  EXPECT_THROW(hybridrec::store::sha256_file(dir / "missing"), hybridrec::Error);
}
