// docs/api.md's route table says which permission each route needs; the guard decides it
// from coordinator/access/roles.cc. Every row must agree with that table, so that the
// docs an administrator reads before giving someone a role are the rules HQ applies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "access/roles.h"

namespace {

TEST(RouteRolesDocTest, EveryRouteNeedsWhatTheApiDocSays) {
  std::ifstream in(std::filesystem::path(MUSTER_SOURCE_DIR) / "docs" / "api.md");
  std::stringstream text;
  text << in.rdbuf();
  static const std::regex kRow(R"(^\| (GET|POST|PATCH) \| `([^`]+)` \| [^|]+ \| ([a-z ,]+) \|$)");
  static const std::regex kPlaceholder(R"(\{[a-z]+\})");
  std::istringstream lines(text.str());
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    std::smatch row;
    if (!std::regex_match(line, row, kRow)) continue;
    ++rows;
    const std::string path = std::regex_replace(row[2].str(), kPlaceholder, "x");
    const std::string documented = row[3];
    if (documented == "nothing" || path == "/metrics") continue;  // before the role check
    EXPECT_EQ(muster::hq::PermissionName(muster::hq::NeededFor(row[1].str(), path)), documented)
        << row[1] << " " << row[2];
  }
  EXPECT_GE(rows, 40);
}

}  // namespace
