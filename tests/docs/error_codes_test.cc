// docs/api.md's "Error codes" table lists every code of muster/error_code.h, by its wire
// name, with the HTTP status the API answers it with, and nothing else: a code the docs do
// not know, one they still list after it went, or a status they get wrong is drift.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "muster/error_code.h"

namespace {

namespace fs = std::filesystem;
using muster::ErrorCode;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Code -> HTTP status, from the rows "| `code` | status | meaning |" of the table under
// the heading that contains |heading|.
std::map<std::string, int> CodeRows(const std::string& markdown, const std::string& heading) {
  std::map<std::string, int> rows;
  static const std::regex kRow(R"(^\| `([a-z_]+)` \| (\d{3}) \|.*)");
  std::istringstream lines(markdown);
  std::string line;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) inside = line.find(heading) != std::string::npos;
    std::smatch row;
    if (inside && std::regex_match(line, row, kRow)) rows[row[1]] = std::stoi(row[2]);
  }
  return rows;
}

TEST(ErrorCodesDocTest, TheApiTableListsEveryCodeWithItsHttpStatus) {
  const fs::path root = MUSTER_SOURCE_DIR;
  const std::string doc = ReadFile(root / "docs" / "api.md");
  ASSERT_FALSE(doc.empty()) << "docs/api.md is missing";
  std::map<std::string, int> rows = CodeRows(doc, "Error codes");
  for (ErrorCode code : muster::AllErrorCodes()) {
    const std::string wire(muster::WireName(code));
    const auto row = rows.find(wire);
    if (row == rows.end()) {
      ADD_FAILURE() << "`" << wire << "` has no row in docs/api.md's Error codes table";
      continue;
    }
    EXPECT_EQ(row->second, muster::HttpStatus(code)) << wire;
    rows.erase(row);
  }
  for (const auto& [wire, status] : rows) ADD_FAILURE() << "`" << wire << "` is not a code";
}

TEST(ErrorCodesDocTest, RowsAreReadUnderTheirHeadingOnly) {
  const std::string markdown =
      "## Other\n| `elsewhere` | 500 | x |\n## Error codes\n| code | HTTP | meaning |\n"
      "| --- | --- | --- |\n| `not_found` | 404 | missing |\n| `bad row` | 1 | x |\n";
  EXPECT_EQ(CodeRows(markdown, "Error codes"), (std::map<std::string, int>{{"not_found", 404}}));
}

}  // namespace
