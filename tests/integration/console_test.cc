// The console binary against a running coordinator (in-process, real sockets, real
// stores): every verb answers JSON that parses with --json, every command path has
// --help, and the completion script knows every verb.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include <sys/wait.h>

#include "coordinator.h"

namespace muster {
namespace {

using nlohmann::json;

struct Output {
  int status = -1;
  std::string out;
};

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("muster-console-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(root_);
    hq::Config config;
    config.data_dir = (root_ / "hq").string();
    config.agent_bind = "tcp://127.0.0.1:*";
    config.api_port = 0;
    config.alert_sweep_interval_ms = 200;
    hq_ = std::make_unique<hq::Coordinator>(config, clock_);
    Status started = hq_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  void TearDown() override {
    hq_.reset();
    std::filesystem::remove_all(root_);
  }
  // Runs `muster --data DIR ARGS` and collects stdout (stderr is kept apart).
  Output Muster(const std::string& args) {
    const std::string command = std::string(MUSTER_CONSOLE) + " --data " + (root_ / "hq").string() +
                                " --as tester " + args + " 2>" + (root_ / "stderr").string();
    Output run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, got);
    const int raw = ::pclose(pipe);
    run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return run;
  }
  json MusterJson(const std::string& args) {
    Output run = Muster("--json " + args);
    EXPECT_EQ(run.status, 0) << args << ": " << run.out;
    json parsed = json::parse(run.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << args << " printed no JSON: " << run.out;
    return parsed;
  }
  // The incident with two members (the second checks in every second) and one deployment.
  void Deploy() {
    const std::string playbook =
        std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml";
    MusterJson("incident create --id INC-1 --title 'Portal alarm' --severity high");
    for (const auto& [member, role] : std::vector<std::pair<std::string, std::string>>{
             {"amira", "team_leader"}, {"jonas", "radiation_specialist"},
             {"li", "forensic_examiner"}, {"mara", "radiation_specialist"}}) {
      MusterJson("member add " + member + " --role " + role +
                 (member == "jonas" ? " --checkin 1s" : ""));
      MusterJson("agent enroll " + member + " --out " + (root_ / (member + ".json")).string());
    }
    MusterJson("deploy INC-1 --playbook " + playbook +
               " --assign team_leader=amira --assign radiation_specialist=jonas "
               "--assign forensic_examiner=li");
  }

  std::filesystem::path root_;
  SystemClock clock_;
  std::unique_ptr<hq::Coordinator> hq_;
};

TEST_F(ConsoleTest, EveryVerbAnswersJsonThatParses) {
  Deploy();
  for (const char* verb :
       {"incident list", "member list", "agent list", "status INC-1", "findings INC-1",
        "task list INC-1", "task list INC-1 --open --member jonas", "timeline INC-1",
        "sitrep INC-1", "alert list", "alert list --incident INC-1 --open", "audit show"}) {
    json answer = MusterJson(verb);
    EXPECT_TRUE(answer.is_object() || answer.is_array()) << verb;
  }
  EXPECT_EQ(MusterJson("task reassign d1.secondary_inspection.jonas mara")["to"], "mara");
  Output refused = Muster("--json task cancel d1.host_liaison.paulo");
  EXPECT_EQ(refused.status, 1);  // nobody holds it: not found, said on stderr
  EXPECT_EQ(refused.out, "");
  EXPECT_EQ(MusterJson("task cancel d1.photograph_scene.li --reason 'no camera'")["state"],
            "cancelled");
  EXPECT_EQ(MusterJson("deployment add-member 1 mara --role forensic_examiner")["role"],
            "forensic_examiner");

  // Jonas never checks in (no agent runs) and his interval is 1 s: the sweep raises the
  // member-safety alert, which an officer acknowledges.
  json alerts;
  for (int i = 0; i < 100; ++i) {
    alerts = MusterJson("alert list --incident INC-1 --open");
    if (!alerts.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts[0]["kind"], "checkin");
  json acked = MusterJson("alert ack " + std::to_string(alerts[0]["id"].get<int>()));
  EXPECT_EQ(acked["acked_by"], "tester");

  Output watch = Muster("--json watch --incident INC-1 --count 3");
  ASSERT_EQ(watch.status, 0);
  std::istringstream lines(watch.out);
  std::string line;
  int events = 0;
  while (std::getline(lines, line)) {
    json event = json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    EXPECT_EQ(event["incident"], "INC-1");
    ++events;
  }
  EXPECT_EQ(events, 3);

  json closed = MusterJson("deployment demobilise 1");
  EXPECT_EQ(closed["status"], "demobilised");
  EXPECT_FALSE(closed["open_tasks"].empty());
  Output again = Muster("--json deployment cancel 1");
  EXPECT_EQ(again.status, 1);  // already closed: a conflict, said on stderr
}

TEST_F(ConsoleTest, EveryCommandHasHelpAndTheCompletionKnowsThem) {
  Output script = Muster("completion bash");
  ASSERT_EQ(script.status, 0);
  EXPECT_NE(script.out.find("complete -F _muster muster"), std::string::npos);
  std::regex arm("^    \"([a-z -]*)\"\\) echo \"([^\"]*)\" ;;$");
  std::istringstream lines(script.out);
  std::string line;
  std::vector<std::string> paths;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, arm)) paths.push_back(match[1]);
  }
  for (const char* verb : {"task reassign", "task cancel", "deployment add-member",
                                  "deployment demobilise", "alert ack", "sitrep", "watch",
                                  "timeline", "incident create", "completion"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), verb), paths.end()) << verb;
  }
  ASSERT_GT(paths.size(), 20u);
  for (const std::string& path : paths) {
    Output help = Muster(path + " --help");
    EXPECT_EQ(help.status, 0) << path;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << path << ": " << help.out;
  }
}

}  // namespace
}  // namespace muster
