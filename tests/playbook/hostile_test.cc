// Hostile input: every case returns an error (never a crash, never a hang) and stays
// within the documented limits. There are no timing assertions; the fuzzer and the
// test runner's timeout catch slowness.
#include <gtest/gtest.h>

#include <random>

#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::HasDiagnostic;
using testing::Load;

TEST(HostileTest, BillionLaughs) {
  std::string text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  const LoadResult result = Load(text);
  EXPECT_FALSE(result.ok());
  ASSERT_FALSE(result.diagnostics.empty());
  EXPECT_NE(result.diagnostics[0].message.find("expands to more than 100000 YAML nodes"),
            std::string::npos)
      << testing::AllDiagnostics(result);
}

TEST(HostileTest, AliasInsideItsOwnAnchor) {
  const LoadResult result = Load("a: &x [1, *x]\n");
  EXPECT_FALSE(result.ok());
}

TEST(HostileTest, DeepFlowNesting) {
  const std::string text = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:1:67: error: the document nests deeper than 64 levels"));
}

TEST(HostileTest, DeepBlockNesting) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += std::string(i, ' ') + "k:\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:65:65: error: the document nests deeper than 64 levels"));
}

TEST(HostileTest, DeepCompactSequences) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "- ";
  const LoadResult result = Load(text + "x\n");
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics[0].message.find("nests deeper"), std::string::npos);
}

TEST(HostileTest, DeepFlowMaps) {
  std::string text = "a: ";
  for (int i = 0; i < 50000; ++i) text += "{a: ";
  const LoadResult result = Load(text + "1" + std::string(50000, '}') + "\n");
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics[0].message.find("nests deeper"), std::string::npos);
}

TEST(HostileTest, DeepFlowAfterDocumentMarkerOrAnchor) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_TRUE(HasDiagnostic(Load("--- " + deep),
                            "t.yaml:1:69: error: the document nests deeper than 64 levels"));
  EXPECT_TRUE(HasDiagnostic(Load("- &anchor " + deep),
                            "t.yaml:1:73: error: the document nests deeper than 64 levels"));
}

TEST(HostileTest, NestingTheEstimateMissesIsCaughtByYamlCppsGuard) {
  // The estimate takes the second line for the continuation of a plain scalar's quote;
  // yaml-cpp's own depth guard stops the real nesting on line 3.
  const std::string text =
      "summary: x\n  [ \"\nb: " + std::string(5000, '[') + std::string(5000, ']') + "\nc: \"\n";
  const LoadResult result = Load(text);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics[0].message.find("nests deeper than"), std::string::npos)
      << testing::AllDiagnostics(result);
}

TEST(HostileTest, TooLarge) {
  const std::string text = "summary: " + std::string(2 << 20, 'x') + "\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:1:1: error: the file is 2097162 bytes; the limit is 1048576"));
}

TEST(HostileTest, LimitsAreConfigurable) {
  LoadOptions options;
  options.limits.max_bytes = 100;
  EXPECT_FALSE(Load(testing::kMinimal, options).ok());
  options = {};
  options.limits.max_nodes = 20;
  const LoadResult result = Load(testing::kMinimal, options);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics[0].message.find("more than 20 YAML nodes"), std::string::npos);
}

TEST(HostileTest, InvalidUtf8) {
  EXPECT_TRUE(HasDiagnostic(Load("id: demo\ntitle: caf\xC3\n"),
                            "t.yaml:2:11: error: byte 0xC3 is not valid UTF-8"));
  // Overlong encoding of '/', and an encoded surrogate.
  EXPECT_FALSE(Load("id: \xC0\xAF\n").ok());
  EXPECT_FALSE(Load("id: \xED\xA0\x80\n").ok());
}

TEST(HostileTest, BinaryGarbage) {
  std::mt19937 random(12345);
  for (int round = 0; round < 200; ++round) {
    std::string text(1 + random() % 4096, '\0');
    for (char& c : text) c = static_cast<char>(random());
    const LoadResult result = Load(text);
    EXPECT_FALSE(result.ok());
    EXPECT_FALSE(result.diagnostics.empty());
  }
}

TEST(HostileTest, YamlLookingGarbage) {
  // Random sequences of YAML punctuation; the loader must always return.
  static const char kPieces[] = "-:[]{}&*!|>'\"#,? \n\n  ab1";
  std::mt19937 random(99);
  for (int round = 0; round < 500; ++round) {
    std::string text;
    const int length = 1 + static_cast<int>(random() % 300);
    for (int i = 0; i < length; ++i) text += kPieces[random() % (sizeof kPieces - 1)];
    const LoadResult result = Load(text);
    EXPECT_FALSE(result.ok() && result.playbook->steps.empty());
  }
}

TEST(HostileTest, EmptyInputs) {
  EXPECT_TRUE(HasDiagnostic(Load(""), "t.yaml:1:1: error: the file holds no YAML content"));
  EXPECT_TRUE(
      HasDiagnostic(Load("\n\n   \n"), "t.yaml:1:1: error: the file holds no YAML content"));
  EXPECT_TRUE(HasDiagnostic(Load("# only a comment\n"),
                            "t.yaml:1:1: error: the file holds no YAML content"));
  EXPECT_TRUE(HasDiagnostic(Load("~\n"), "t.yaml:1:1: error: the file holds no YAML content"));
}

TEST(HostileTest, StreamThatYamlCppCannotAdvancePast) {
  // yaml-cpp 0.7's LoadAll returns empty documents forever on this input.
  EXPECT_TRUE(HasDiagnostic(Load(","),
                            "t.yaml:1:1: error: YAML syntax error: the parser cannot read past "
                            "this point"));
  EXPECT_FALSE(Load(" ,a->a>!-\n' *?][ '{!{-? -a1-aaa[\n").ok());
}

TEST(HostileTest, NulByte) {
  EXPECT_TRUE(HasDiagnostic(Load(std::string("id: de\0mo\n", 10)),
                            "t.yaml:1:7: error: control character 0x00 is not allowed in YAML"));
}

TEST(HostileTest, ManyStepsInADependencyChain) {
  // Thousands of steps chained in one cycle: cycle detection must not recurse.
  std::string text = std::string(testing::kMinimal);
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    text += "  - {id: s" + std::to_string(i) +
            ", title: S, phase: work, role: lead, depends_on: [s" + std::to_string((i + 1) % n) +
            "]}\n";
  }
  const LoadResult result = Load(text);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(testing::AllDiagnostics(result).find("dependency cycle: s0 -> s1 -> s2"),
            std::string::npos);
}

TEST(HostileTest, LongKeysAreCutInMessages) {
  const std::string key(500, 'k');  // YAML allows implicit keys up to 1024
  const LoadResult result = Load(std::string(testing::kMinimal) + key + ": 1\n");
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:25:1: error: unknown key '" + std::string(57, 'k') + "...' in the playbook"));
}

}  // namespace
}  // namespace muster::playbook
