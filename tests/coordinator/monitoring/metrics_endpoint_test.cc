// /healthz and /metrics on the real coordinator, read with a raw HTTP client. What
// /metrics says is parsed by a strict parser of Prometheus' text format written here
// (Debian ships no promtool without the whole Prometheus server), then checked against
// what the agents did and what the API reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "coordinator_fixture.h"
#include "hq_fixture.h"
#include "muster/files.h"

namespace muster::coordtest {
namespace {

// One exposition, parsed. Any line the format does not allow is a test failure.
class Exposition {
 public:
  explicit Exposition(const std::string& text) {
    Parse(text);
    CheckHistograms();
  }

  // The value of the series, or NaN when it is absent.
  double Value(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    auto it = series_.find({name, labels});
    return it == series_.end() ? NAN : it->second;
  }
  const std::string& Type(const std::string& family) { return types_[family]; }

 private:
  void Parse(const std::string& text) {
    static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
    static const std::regex type(
        R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
    static const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([-+]?(?:[0-9.eE+-]+|Inf|NaN))( -?[0-9]+)?)");
    static const std::regex label(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$))re");
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      std::smatch match;
      if (std::regex_match(line, match, help)) {
        EXPECT_TRUE(helped_.insert(match[1]).second) << "second HELP: " << line;
      } else if (std::regex_match(line, match, type)) {
        EXPECT_FALSE(types_.count(match[1])) << "second TYPE: " << line;
        EXPECT_FALSE(seen_family_.count(match[1])) << "TYPE after samples: " << line;
        types_[match[1]] = match[2];
      } else if (std::regex_match(line, match, sample)) {
        const std::string name = match[1];
        std::string labels = match[3];
        std::map<std::string, std::string> parsed;
        for (std::smatch pair; !labels.empty(); labels = pair.suffix()) {
          ASSERT_TRUE(
              std::regex_search(labels, pair, label, std::regex_constants::match_continuous))
              << "bad labels: " << line;
          EXPECT_TRUE(parsed.emplace(pair[1], pair[2]).second) << "repeated label: " << line;
        }
        const std::string family = FamilyOf(name);
        ASSERT_TRUE(types_.count(family)) << "sample without TYPE: " << line;
        seen_family_.insert(family);
        const double value = match[4] == "+Inf" ? INFINITY : std::stod(match[4]);
        EXPECT_TRUE(series_.emplace(std::make_pair(name, parsed), value).second)
            << "repeated series: " << line;
      } else {
        ADD_FAILURE() << "not Prometheus text: '" << line << "'";
      }
    }
  }
  std::string FamilyOf(const std::string& name) const {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string ending(suffix);
      if (name.size() > ending.size() && name.ends_with(ending)) {
        const std::string base = name.substr(0, name.size() - ending.size());
        auto it = types_.find(base);
        if (it != types_.end() && it->second == "histogram") return base;
      }
    }
    return name;
  }
  // Buckets ascend with cumulative counts, end at +Inf, and +Inf equals _count.
  void CheckHistograms() {
    for (const auto& [family, kind] : types_) {
      if (kind != "histogram") continue;
      std::vector<std::pair<double, double>> buckets;
      for (const auto& [key, value] : series_) {
        if (key.first != family + "_bucket") continue;
        const std::string le = key.second.at("le");
        buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), value);
      }
      std::sort(buckets.begin(), buckets.end());
      ASSERT_FALSE(buckets.empty()) << family;
      EXPECT_TRUE(std::isinf(buckets.back().first)) << family << " has no +Inf bucket";
      for (std::size_t i = 1; i < buckets.size(); ++i) {
        EXPECT_GE(buckets[i].second, buckets[i - 1].second) << family << " is not cumulative";
      }
      EXPECT_EQ(buckets.back().second, Value(family + "_count")) << family;
      EXPECT_FALSE(std::isnan(Value(family + "_sum"))) << family;
    }
  }

  std::set<std::string> helped_;
  std::map<std::string, std::string> types_;
  std::set<std::string> seen_family_;
  std::map<std::pair<std::string, std::map<std::string, std::string>>, double> series_;
};

class MonitoringTest : public CoordinatorTest {
 protected:
  HttpReply Get(const std::string& path, const std::string& token) {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return RawHttp(ApiHostPort().second, "GET", path, headers, "");
  }
  std::string MetricsToken() {
    return ReadFile(config_.data_dir + "/metrics.token")->substr(0, 64);
  }
};

TEST_F(MonitoringTest, HealthzAnswersWithoutATokenAndSaysNothingElse) {
  StartHq();
  HttpReply health = Get("/healthz", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(Get("/healthz", "wrong").status, 200);
  // The exemption is for that path only: under /v1 everything needs credentials (outside
  // it, a GET of anything but the web console's files finds nothing).
  EXPECT_EQ(Get("/healthz/", "").status, 404);
  EXPECT_EQ(Get("/v1/health", "").status, 401);
  EXPECT_EQ(Get("/metrics", "").status, 401);
}

TEST_F(MonitoringTest, MetricsNeedTheMetricsOrTheApiToken) {
  StartHq();
  EXPECT_EQ(FileMode(config_.data_dir + "/metrics.token"), 0600);
  EXPECT_NE(MetricsToken(), hq_->api_token());
  EXPECT_EQ(MetricsToken(), hq_->metrics_token());
  EXPECT_EQ(Get("/metrics", "").status, 401);
  EXPECT_EQ(Get("/metrics", MetricsToken() + "0").status, 401);
  EXPECT_EQ(Get("/metrics", MetricsToken()).status, 200);
  EXPECT_EQ(Get("/metrics", hq_->api_token()).status, 200);
  // Read-only: the metrics token opens nothing else.
  HttpReply refused = Get("/v1/incidents", MetricsToken());
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("\"forbidden\""), std::string::npos) << refused.body;
  EXPECT_EQ(RawHttp(ApiHostPort().second, "POST", "/v1/incidents",
                    {"Authorization: Bearer " + MetricsToken()}, R"({"title":"x"})")
                .status,
            403);
  EXPECT_TRUE(api_->Get("/v1/incidents")->empty());
  // The same token after a restart.
  const std::string token = MetricsToken();
  hq_.reset();
  StartHq();
  EXPECT_EQ(hq_->metrics_token(), token);
}

TEST_F(MonitoringTest, MetricsCountWhatTheAgentsDidAndAgreeWithTheApi) {
  StartHq();
  Enroll("amira", "team_leader");
  const Bundle jonas = Enroll("jonas", "radiation_specialist");
  Enroll("li", "forensic_examiner");
  Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  Post("/v1/deployments", {{"incident", "INC-1"},
                           {"playbook_source", BorderPlaybookSource()},
                           {"assign", json::object()}});

  RawDealer dealer(jonas.endpoint, KeysOf(jonas));
  dealer.Send(Hello(jonas.agent_id));
  ASSERT_TRUE(dealer.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  ASSERT_EQ(CollectDeliveries(dealer, 4, 10'000).size(), 4u);
  dealer.Send(Message{MessageType::kDelivered, {{"applied", 4}}});
  // An applied finding (over the cordon threshold), a status no agent may set (refused
  // and kept), and a frame that is not a message at all (its first byte, taken for the
  // protocol version, is 'n').
  dealer.Send(Message{
      MessageType::kRecords,
      {{"records",
        json::array({{{"seq", 1},
                      {"kind", "finding"},
                      {"at", 1'700'000'000'000},
                      {"body",
                       {{"task", "d1.secondary_inspection.jonas"},
                        {"values", {{"dose_rate_1m", 150}, {"neutrons_detected", false}}}}}},
                     {{"seq", 2},
                      {"kind", "status"},
                      {"at", 1'700'000'000'000},
                      {"body", {{"task", "d1.brief.amira"}, {"state", "done"}}}}})}}});
  ASSERT_TRUE(dealer.ReceiveType(MessageType::kAck, 5'000).has_value());
  dealer.SendFrame("not a message");
  ASSERT_TRUE(dealer.ReceiveType(MessageType::kError, 5'000).has_value());

  // agents_connected is published once a second by the router.
  std::optional<Exposition> metrics;
  for (int i = 0; i < 50; ++i) {
    HttpReply reply = Get("/metrics", MetricsToken());
    ASSERT_EQ(reply.status, 200);
    metrics.emplace(reply.body);
    if (metrics->Value("muster_agents_connected") == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Exposition& m = *metrics;
  EXPECT_EQ(m.Value("muster_agents_connected"), 1);
  EXPECT_EQ(m.Type("muster_records_ingested_total"), "counter");
  EXPECT_EQ(m.Value("muster_records_ingested_total", {{"kind", "finding"}}), 1);
  EXPECT_EQ(m.Value("muster_records_refused_total", {{"kind", "status"}}), 1);
  EXPECT_EQ(m.Value("muster_messages_refused_total", {{"code", "unsupported_version"}}), 1);
  EXPECT_EQ(m.Type("muster_ingest_commit_seconds"), "histogram");
  EXPECT_GE(m.Value("muster_ingest_commit_seconds_count"), 1);
  EXPECT_EQ(m.Value("muster_agents_enrolled", {{"status", "active"}}), 3);
  EXPECT_EQ(m.Value("muster_agents_enrolled", {{"status", "revoked"}}), 0);
  EXPECT_EQ(m.Value("muster_build_info", {{"version", MUSTER_VERSION}}), 1);

  // The stored gauges agree with what the API lists.
  double pending = 0;
  const Result<json> agents = api_->Get("/v1/agents");
  ASSERT_TRUE(agents.ok());
  for (const json& agent : *agents) {
    pending += agent["deliveries_queued"].get<double>() - agent["deliveries_applied"].get<double>();
  }
  EXPECT_GT(pending, 0);  // amira and li never connected
  EXPECT_EQ(m.Value("muster_deliveries_pending"), pending);
  std::map<std::string, double> open;
  const Result<json> alerts = api_->Get("/v1/alerts");
  ASSERT_TRUE(alerts.ok());
  for (const json& alert : *alerts) {
    if (alert.value("acked_by", json()).is_null()) open[alert["severity"]] += 1;
  }
  for (const char* severity : {"info", "warning", "critical"}) {
    EXPECT_EQ(m.Value("muster_alerts_open", {{"severity", severity}}), open[severity]) << severity;
    EXPECT_EQ(m.Value("muster_exercise_alerts_open", {{"severity", severity}}), 0) << severity;
  }
}

}  // namespace
}  // namespace muster::coordtest
