// Configuration files that fuzz_config_loader found escaping load_config with a
// library exception instead of a ConfigError (the inputs are also kept in
// fuzz/corpus/fuzz_config_loader, replayed by ctest).
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "test_support.h"
#include "train/config.h"

namespace hybridrec {
namespace {

std::string refusal_of_file(const std::string& yaml) {
  const auto file = testing::scratch_dir("config-fuzz") / "config.yaml";
  std::ofstream(file, std::ios::binary) << yaml;
  try {
    load_config(file, {});
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const Error& e) {
    return std::string("another hybridrec::Error: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("NOT A hybridrec::Error: ") + e.what();
  }
  return "";
}

// A text value with bytes that are not UTF-8 ("rout\xd7\xd7ed", from a
// Latin-1 editor or a mangled file): the refusal quoted the value with
// json::dump(), which threw type_error.316 past every handler (SIGABRT). Now a
// file that is not UTF-8 is refused before it is parsed, naming its line.
TEST(ConfigFuzzFindings, InvalidUtf8InAValueIsRefusedNamingTheLine) {
  const std::string message = refusal_of_file("model:\n  type: rout\xd7\xd7\xd7" "ed\n");
  EXPECT_EQ(message.find("NOT A hybridrec::Error"), std::string::npos) << message;
  EXPECT_NE(message.find("config.yaml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("UTF-8"), std::string::npos) << message;
}

TEST(ConfigFuzzFindings, InvalidUtf8InAListElementIsRefusedCleanly) {
  const std::string message = refusal_of_file("model:\n  hidden_layers: [64, \"\xff\"]\n");
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find("NOT A hybridrec::Error"), std::string::npos) << message;
}

}  // namespace
}  // namespace hybridrec
