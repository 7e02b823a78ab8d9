// The completion script names its functions after the program and lists, per command
// path, the words that may follow it.
#include "muster/completion.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

class CompletionTest : public ::testing::Test {
 protected:
  CompletionTest() {
    app_.add_option("--config", config_, "configuration");
    app_.add_subcommand("run", "daemon");
    app_.add_subcommand("tasks", "list")->add_flag("--json", json_, "JSON");
  }
  CLI::App app_{"test program"};
  std::string config_;
  bool json_ = false;
};

TEST_F(CompletionTest, BashNamesItsFunctionsAfterTheProgram) {
  const std::string script = BashCompletion(app_, "muster-agent");
  EXPECT_NE(script.find("_muster_agent_words() {"), std::string::npos) << script;
  EXPECT_NE(script.find("\ncomplete -F _muster_agent muster-agent\n"), std::string::npos);
  EXPECT_EQ(script.find("_muster-agent"), std::string::npos);
}

TEST_F(CompletionTest, BashListsTheWordsAfterEachCommandPath) {
  const std::string script = BashCompletion(app_, "muster");
  EXPECT_NE(script.find("    \"\") echo \"run tasks --help --config\" ;;\n"), std::string::npos)
      << script;
  EXPECT_NE(script.find("    \"tasks\") echo \"--help --json\" ;;\n"), std::string::npos);
}

TEST_F(CompletionTest, ZshLoadsBashCompatibilityFirst) {
  const std::string script = ZshCompletion(app_, "muster");
  EXPECT_NE(script.find("bashcompinit"), std::string::npos);
  EXPECT_LT(script.find("bashcompinit"), script.find("complete -F _muster muster"));
}

TEST_F(CompletionTest, ZshLoadsFromFpathUnderTheProgramsName) {
  const std::string script = ZshCompletion(app_, "muster-agent");
  EXPECT_EQ(script.rfind("#compdef muster-agent\n", 0), 0u) << script;
  EXPECT_NE(script.find("if [[ $funcstack[1] == _muster-agent ]]; then\n"
                        "  _bash_complete -F _muster_agent\n"),
            std::string::npos);
}

}  // namespace
}  // namespace muster
