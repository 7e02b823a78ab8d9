// docs/architecture.md's "where things live" map names files and folders; each must exist
// in the tree, or the map has drifted from the code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The rows of the table under the heading that contains |heading|.
std::vector<std::string> TableRows(const std::string& markdown, const std::string& heading) {
  std::vector<std::string> rows;
  std::istringstream lines(markdown);
  std::string line;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) inside = line.find(heading) != std::string::npos;
    if (inside && line.rfind("| ", 0) == 0 && line.rfind("| ---", 0) != 0) rows.push_back(line);
  }
  return rows;
}

// "core/src/{a,b}.cc" -> core/src/a.cc, core/src/b.cc.
std::vector<std::string> ExpandBraces(const std::string& path) {
  const auto open = path.find('{');
  const auto close = path.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {path};
  std::vector<std::string> paths;
  std::istringstream choices(path.substr(open + 1, close - open - 1));
  std::string choice;
  while (std::getline(choices, choice, ',')) {
    for (const std::string& rest : ExpandBraces(path.substr(close + 1))) {
      paths.push_back(path.substr(0, open) + choice + rest);
    }
  }
  return paths;
}

// The backquoted paths of a row's last cell: words with a slash and no spaces, as a
// file or folder of the tree is written there.
std::vector<std::string> PathsOf(const std::string& row) {
  const std::string where = row.substr(row.rfind('|', row.size() - 2));
  std::vector<std::string> paths;
  static const std::regex kQuoted("`([^`]+)`");
  for (auto it = std::sregex_iterator(where.begin(), where.end(), kQuoted);
       it != std::sregex_iterator(); ++it) {
    const std::string text = (*it)[1];
    if (text.find('/') == std::string::npos || text.find(' ') != std::string::npos) continue;
    for (const std::string& path : ExpandBraces(text)) paths.push_back(path);
  }
  return paths;
}

TEST(WhereThingsLiveTest, EveryPathTheMapNamesExists) {
  const fs::path root = MUSTER_SOURCE_DIR;
  const std::string doc = ReadFile(root / "docs" / "architecture.md");
  ASSERT_FALSE(doc.empty()) << "docs/architecture.md is missing";
  const std::vector<std::string> rows = TableRows(doc, "Where things live");
  ASSERT_GT(rows.size(), 20u) << "the map's table was not found under its heading";
  std::size_t checked = 0;
  for (const std::string& row : rows) {
    for (const std::string& path : PathsOf(row)) {
      EXPECT_TRUE(fs::exists(root / path)) << path << " (named in: " << row.substr(0, 80) << "…)";
      ++checked;
    }
  }
  EXPECT_GT(checked, 40u) << "fewer paths than the map holds: is the parsing still right?";
}

TEST(WhereThingsLiveTest, BracesExpandAndNonPathsAreSkipped) {
  EXPECT_EQ(ExpandBraces("core/src/{a,b}.cc"),
            (std::vector<std::string>{"core/src/a.cc", "core/src/b.cc"}));
  EXPECT_EQ(PathsOf("| x | `agent/team.cc` (the agent), `AgentStore::CutPieces`, `a b/c` |"),
            (std::vector<std::string>{"agent/team.cc"}));
}

}  // namespace
