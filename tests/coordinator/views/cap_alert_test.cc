// Alerts as CAP 1.2 messages (views/cap_alert.h), raised through HQ's own doors (a
// member's safety alert ingested from their agent, HQ's check of a finding against the
// watchlist) and validated against the CAP 1.2 schema with libxml2, as a partner's
// warning system would; a partner gets only what its releasability allows.
#include <regex>

#include "hq_fixture.h"
#include "muster/clock.h"
#include "muster/digest.h"
#include "muster/playbook/marking.h"
#include "muster/sqlite_store.h"
#include "xml_schema.h"

namespace muster::coordtest {
namespace {

using xmlcheck::XmlTexts;

class CapAlertTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    ASSERT_TRUE(schema_.loaded()) << schema_.Problems("<x/>")[0];
  }

  // Jonas's agent raises a safety alert with |message|; returns the alert's id.
  std::int64_t SafetyAlert(std::uint64_t seq, const std::string& message) {
    IngestOk("jonas-1",
             {Entry(seq, wire::AlertRecord{"d1.secondary_inspection.jonas", message, "critical"})});
    return Count("SELECT MAX(id) FROM alerts WHERE kind='safety'");
  }
  std::string Cap(std::int64_t alert, const std::optional<std::string>& releasable = {}) {
    auto document = hq_->cap_alerts().Build(
        alert, releasable ? playbook::ParseMarking(*releasable) : std::nullopt, "paulo");
    EXPECT_TRUE(document.ok()) << document.status().ToString();
    return document.ok() ? *document : "";
  }
  Status Refusal(std::int64_t alert, const std::string& releasable) {
    auto document = hq_->cap_alerts().Build(alert, playbook::ParseMarking(releasable), "paulo");
    EXPECT_FALSE(document.ok()) << *document;
    return document.ok() ? Status::Ok() : document.status();
  }
  static std::string One(const std::string& document, const std::string& name) {
    const auto texts = XmlTexts(document, name);
    EXPECT_EQ(texts.size(), 1u) << name << " in " << document;
    return texts.empty() ? "" : texts[0];
  }

  xmlcheck::XmlSchema schema_{xmlcheck::SchemaDir() + "/CAP-v1.2.xsd"};
};

TEST_F(CapAlertTest, ASafetyAlertIsAValidCapMessage) {
  DeployBorder();
  const Millis raised = clock_.Now();
  const std::int64_t id = SafetyAlert(1, "dose rising near the lorry");
  const std::string cap = Cap(id);
  EXPECT_EQ(schema_.Problems(cap), std::vector<std::string>{}) << cap;

  EXPECT_EQ(One(cap, "identifier"),
            "muster." + hq_->database().hq_id() + ".alert." + std::to_string(id));
  EXPECT_TRUE(std::regex_match(One(cap, "identifier"), std::regex("[^ ,<&]+")))
      << "CAP: no spaces, commas or markup in an identifier";
  EXPECT_EQ(One(cap, "sender"), "muster." + hq_->database().hq_id());
  std::string sent = FormatTimestamp(raised);
  sent.pop_back();
  EXPECT_EQ(One(cap, "sent"), sent + "+00:00");
  EXPECT_EQ(One(cap, "status"), "Actual");
  EXPECT_EQ(One(cap, "msgType"), "Alert");
  EXPECT_EQ(One(cap, "scope"), "Restricted");
  EXPECT_EQ(One(cap, "restriction"),
            "HQ's own copy, not for release; marking RESTRICTED // TLP:AMBER")
      << "the border playbook's marking, which the message may quote";
  EXPECT_EQ(One(cap, "incidents"), "INC-1");
  EXPECT_TRUE(XmlTexts(cap, "note").empty()) << "a note only for an exercise";
  EXPECT_EQ(One(cap, "category"), "CBRNE");
  EXPECT_EQ(One(cap, "event"), "Safety alert from the field");
  EXPECT_EQ(One(cap, "urgency"), "Immediate");
  EXPECT_EQ(One(cap, "severity"), "Severe");
  EXPECT_EQ(One(cap, "headline"), "Safety alert from the field: Portal alarm");
  EXPECT_NE(One(cap, "description").find("dose rising near the lorry"), std::string::npos);
  EXPECT_EQ(XmlTexts(cap, "valueName"),
            (std::vector<std::string>{"muster-kind", "muster-severity"}));
  EXPECT_EQ(XmlTexts(cap, "value"), (std::vector<std::string>{"safety", "critical"}));

  // The message is the alert as raised: acknowledging it changes nothing a receiver that
  // drops repeated identifiers would miss.
  clock_.Advance(3 * 60 * 1000);
  ASSERT_TRUE(hq_->alerts().Ack(id, "amira").ok());
  EXPECT_EQ(Cap(id), cap);
  // Each message made is audited, with its hash.
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM audit WHERE action='alert.cap' AND subject='" +
            std::to_string(id) + "' AND actor='paulo' AND json_extract(detail, '$.sha256')='" +
            Sha256Hex(cap) + "'"),
      2);
}

// Every kind of alert HQ raises, at every severity, is a valid message with the event and
// category its kind gives.
TEST_F(CapAlertTest, EveryKindAndSeverityIsValid) {
  DeployBorder();
  struct Kind {
    std::string kind, event, category;
  };
  const std::vector<Kind> kinds = {{"overdue", "Task overdue", "Other"},
                                   {"checkin", "Team member not heard from", "Safety"},
                                   {"safety", "Safety alert from the field", "CBRNE"},
                                   {"trigger", "Playbook alert", "CBRNE"},
                                   {"escalation", "Playbook escalation", "CBRNE"},
                                   {"conflict", "Conflicting findings", "Other"},
                                   {"clock_skew", "Laptop clock off", "Other"},
                                   {"attachment_damaged", "Attachment damaged", "Other"},
                                   {"attachment_corrupt", "Attachment corrupt", "Other"},
                                   {"exercise_inject", "Exercise inject", "CBRNE"},
                                   {"watchlist", "Person of interest", "Security"},
                                   {"from_a_newer_hq", "from_a_newer_hq", "Other"}};
  const std::map<std::string, std::pair<std::string, std::string>> grades = {
      {"info", {"Future", "Minor"}},
      {"warning", {"Expected", "Moderate"}},
      {"critical", {"Immediate", "Severe"}},
      {"unheard-of", {"Immediate", "Severe"}}};
  for (const Kind& kind : kinds) {
    for (const auto& [severity, grade] : grades) {
      ASSERT_TRUE(InTransaction(hq_->database().db(), [&] {
                    return hq_->alerts().Raise("INC-1", 1, kind.kind, severity, "text", "hq",
                                               kind.kind + ":" + severity);
                  }).ok());
      const std::int64_t id = Count("SELECT MAX(id) FROM alerts");
      const std::string cap = Cap(id);
      EXPECT_EQ(schema_.Problems(cap), std::vector<std::string>{}) << kind.kind << "\n" << cap;
      EXPECT_EQ(One(cap, "event"), kind.event);
      EXPECT_EQ(One(cap, "category"), kind.category);
      EXPECT_EQ(One(cap, "urgency"), grade.first) << severity;
      EXPECT_EQ(One(cap, "severity"), grade.second) << severity;
    }
  }
}

TEST_F(CapAlertTest, HostileTextStaysTextAndTheMessageStaysValid) {
  DeployBorder();
  // An escape sequence that clears a screen, markup, control characters and a
  // right-to-left override: none may break the document or act on a partner's screen.
  // (Bytes that are not UTF-8 never get this far: the wire refuses them, protocol.h.)
  const std::string hostile =
      std::string("reading \x1b[2J</description><status>Test</status> & \x01 ") + "\xe2\x80\xae" +
      "evil" + std::string(1, '\0') + " Кирилл";
  const std::string cap = Cap(SafetyAlert(1, hostile));
  EXPECT_EQ(schema_.Problems(cap), std::vector<std::string>{}) << cap;
  EXPECT_EQ(One(cap, "status"), "Actual") << "the message cannot forge an element";
  const std::string description = One(cap, "description");
  EXPECT_NE(description.find("reading \\x1b[2J</description><status>Test</status> & \\x01 "
                             "<U+202E>evil\\x00 Кирилл"),
            std::string::npos)
      << description;
  EXPECT_EQ(cap.find('\x1b'), std::string::npos);
}

TEST_F(CapAlertTest, AnExercisesAlertIsNeverAnActualOne) {
  DeployBorder(/*exercise=*/true);
  const std::string cap = Cap(SafetyAlert(1, "simulated reading"));
  EXPECT_EQ(schema_.Problems(cap), std::vector<std::string>{}) << cap;
  EXPECT_EQ(One(cap, "status"), "Exercise");
  EXPECT_EQ(One(cap, "note"), "EXERCISE EXERCISE EXERCISE");
  EXPECT_EQ(One(cap, "headline").rfind("EXERCISE EXERCISE EXERCISE — ", 0), 0u);
  EXPECT_NE(One(cap, "description").find("EXERCISE EXERCISE EXERCISE"), std::string::npos);
}

TEST_F(CapAlertTest, APartnerGetsOnlyWhatItsReleasabilityAllows) {
  DeployBorder();
  const std::int64_t id = SafetyAlert(1, "dose rising");
  Status green = Refusal(id, "TLP:GREEN");
  EXPECT_EQ(green.code(), ErrorCode::kForbidden);
  EXPECT_NE(green.message().find("holds RESTRICTED // TLP:AMBER"), std::string::npos)
      << green.ToString();
  const std::string amber = Cap(id, "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(schema_.Problems(amber), std::vector<std::string>{}) << amber;
  EXPECT_EQ(One(amber, "restriction"),
            "Releasable to partners cleared for RESTRICTED // TLP:AMBER");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='alert.cap' AND "
                  "json_extract(detail, '$.releasable')='RESTRICTED // TLP:AMBER'"),
            1);

  // Li raises her finding to TLP:RED: the alert's message could now quote it.
  IngestOk("li-1",
           {Entry(1, wire::FindingRecord{
                         "d1.photograph_scene.li", {{"photo_count", 14}}, {}, {}, "TLP:RED"})});
  EXPECT_EQ(Refusal(id, "RESTRICTED // TLP:AMBER").code(), ErrorCode::kForbidden);
  EXPECT_EQ(One(Cap(id), "restriction"),
            "HQ's own copy, not for release; marking "
            "RESTRICTED // TLP:RED");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='alert.cap'"), 2)
      << "a refusal gives nothing, and records nothing";

  // A safety alert that names no task is filed under INC-1, but Jonas may be speaking of
  // any incident he serves in.
  IngestOk("jonas-1", {Entry(2, wire::AlertRecord{"", "something else entirely", "warning"})});
  const std::int64_t untasked = Count("SELECT MAX(id) FROM alerts WHERE kind='safety'");
  ASSERT_NE(untasked, id);
  const Status refused = Refusal(untasked, "SECRET // TLP:RED");
  EXPECT_EQ(refused.code(), ErrorCode::kForbidden);
  EXPECT_NE(refused.message().find("without naming a task"), std::string::npos);
}

TEST_F(CapAlertTest, AWatchlistAlertNeverGoesToAPartner) {
  DeployBorder();
  WatchForIvanPetrov();
  IngestOk(
      "jonas-1",
      {Entry(1, wire::FindingRecord{
                    "d1.secondary_inspection.jonas", {{"driver", "Ivan Petrov"}}, {}, {}, ""})});
  const std::int64_t id = Count("SELECT id FROM alerts WHERE kind='watchlist'");
  ASSERT_GT(id, 0);
  const Status refused = Refusal(id, "SECRET // TLP:RED");
  EXPECT_EQ(refused.code(), ErrorCode::kForbidden);
  EXPECT_NE(refused.message().find("person of interest"), std::string::npos);
  const std::string own = Cap(id);
  EXPECT_EQ(schema_.Problems(own), std::vector<std::string>{}) << own;
  EXPECT_EQ(One(own, "event"), "Person of interest");
}

TEST_F(CapAlertTest, TheSchemaCheckIsLive) {
  DeployBorder();
  const std::string cap = Cap(SafetyAlert(1, "dose rising"));
  ASSERT_TRUE(schema_.Problems(cap).empty());
  std::string forged =
      std::regex_replace(cap, std::regex("<status>Actual</status>"), "<status>Real</status>");
  EXPECT_FALSE(schema_.Problems(forged).empty()) << "CAP knows no status Real";
  forged = std::regex_replace(cap, std::regex("<sent>([^<]*)\\+00:00</sent>"), "<sent>$1Z</sent>");
  EXPECT_FALSE(schema_.Problems(forged).empty()) << "CAP 1.2 refuses a Z for the time zone";
  EXPECT_EQ(hq_->cap_alerts().Build(999, std::nullopt, "paulo").status().code(),
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace muster::coordtest
