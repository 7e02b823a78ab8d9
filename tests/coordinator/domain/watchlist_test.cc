// Persons of interest at HQ (domain/watchlist.h), on a real store: entries set, assigned
// to an incident by notice and by region, changed and removed, each audited and sent to
// the agents of the incident's team; a team that leaves the incident is sent an empty
// list; a hit an agent reports raises a critical alert for the task's incident.
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

watchlist::Entry Petrov() {
  return {"G-2026-0412", "green", {"Иван Сергеевич Петров", "Ivan Sergeevich PETROV"}, "1971-03-02",
          {"RU"}, {"72 1234567"}, {"UA", "MD"}};
}
watchlist::Entry Haddad() {
  return {"G-2025-0981", "green", {"Khalil Haddad"}, "1980", {"SY"}, {}, {"LB"}};
}

class WatchlistTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    DeployBorder();
  }
  // The watchlist deliveries queued to |agent|, in order.
  std::vector<json> Sent(const std::string& agent) {
    std::vector<json> sent;
    for (const auto& delivery : Deliveries(agent)) {
      if (delivery.kind == "watchlist") sent.push_back(delivery.body);
    }
    return sent;
  }
  std::vector<std::string> notify_;
};

TEST_F(WatchlistTest, EntriesAssignedByNoticeAndRegionReachTheTeamAndEveryChangeIsAudited) {
  auto set = hq_->watchlist().Set({Petrov(), Haddad()}, "dana", &notify_);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ((*set)["added"], 2);
  EXPECT_TRUE(Sent("jonas-1").empty()) << "no incident carries them yet";

  auto by_region = hq_->watchlist().Assign("INC-1", {}, "ua", "dana", &notify_);
  ASSERT_TRUE(by_region.ok()) << by_region.status().ToString();
  EXPECT_EQ((*by_region)["assigned"], json({"G-2026-0412"}));
  auto sent = Sent("jonas-1");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["incident"], "INC-1");
  EXPECT_FALSE(sent[0]["whole"]);
  ASSERT_EQ(sent[0]["entries"].size(), 1u);
  EXPECT_EQ(sent[0]["entries"][0]["names"][0], "Иван Сергеевич Петров");
  EXPECT_EQ(Sent("amira-1").size(), 1u) << "every member of the incident's team";
  EXPECT_NE(std::find(notify_.begin(), notify_.end(), "jonas-1"), notify_.end());

  // A change to an assigned entry follows it; assigning it again sends nothing.
  watchlist::Entry changed = Petrov();
  changed.documents.push_back("AB0001122");
  ASSERT_TRUE(hq_->watchlist().Set({changed}, "dana", &notify_).ok());
  ASSERT_TRUE(hq_->watchlist().Assign("INC-1", {"G-2026-0412"}, "", "dana", &notify_).ok());
  sent = Sent("jonas-1");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1]["entries"][0]["documents"].size(), 2u);
  EXPECT_EQ(hq_->watchlist().EntriesOf("INC-1").size(), 1u);

  // Removing it drops it from the laptops.
  auto removed = hq_->watchlist().Remove("G-2026-0412", "li", &notify_);
  ASSERT_TRUE(removed.ok());
  sent = Sent("jonas-1");
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2]["removed"], json({"G-2026-0412"}));
  EXPECT_TRUE(hq_->watchlist().EntriesOf("INC-1").empty());
  EXPECT_EQ(hq_->watchlist().Remove("G-2026-0412", "li", &notify_).status().code(),
            ErrorCode::kNotFound);

  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='watchlist.add' AND actor='dana'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='watchlist.change'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='watchlist.assign'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='watchlist.remove' AND actor='li'"), 1);
}

TEST_F(WatchlistTest, ABadEntryIsRefusedNamingItAndNothingIsStored) {
  watchlist::Entry no_name = Haddad();
  no_name.names.clear();
  watchlist::Entry bad_birth = Petrov();
  bad_birth.date_of_birth = "1971-02-30";
  for (const watchlist::Entry& entry : {no_name, bad_birth}) {
    auto refused = hq_->watchlist().Set({Haddad(), entry}, "dana", &notify_);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find(entry.notice_id), std::string::npos)
        << refused.status().message();
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM watchlist"), 0);
  EXPECT_EQ(hq_->watchlist().Assign("INC-1", {"G-404"}, "", "dana", &notify_).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(hq_->watchlist().Assign("INC-404", {}, "UA", "dana", &notify_).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(WatchlistTest, ATeamThatLeavesTheIncidentIsSentAnEmptyList) {
  ASSERT_TRUE(hq_->watchlist().Set({Petrov()}, "dana", &notify_).ok());
  ASSERT_TRUE(hq_->watchlist().Assign("INC-1", {"G-2026-0412"}, "", "dana", &notify_).ok());
  ASSERT_TRUE(hq_->operations().Close(1, "demobilised", "dana", &notify_).ok());
  const auto sent = Sent("jonas-1");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[1]["whole"]);
  EXPECT_TRUE(sent[1]["entries"].empty());
}

TEST_F(WatchlistTest, AHitFromTheFieldRaisesACriticalAlertOnlyForTheMembersOwnTask) {
  const wire::WatchlistHitRecord hit{"d1.secondary_inspection.jonas", "G-2026-0412", 970, false,
                                     "PETROW Iwan|1971-03-02",
                                     "name 'PETROW Iwan' against 'Иван Сергеевич Петров' scores 0.97"};
  IngestOk("jonas-1", {Entry(1, hit)});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='watchlist' AND severity='critical' AND "
                  "incident_id='INC-1' AND message LIKE '%G-2026-0412%97 \\%%' ESCAPE '\\'"),
            1);
  IngestOk("jonas-1", {Entry(1, hit)});  // the same record again: one alert
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='watchlist'"), 1);
  // The alert (which viewers read) quotes nothing of the entry; the hits (officers) do.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='watchlist' AND (message LIKE "
                  "'%Иван%' OR message LIKE '%scores%')"),
            0);
  auto hits = hq_->watchlist().Hits("INC-1");
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0]["checked_by"], "laptop");
  EXPECT_NE((*hits)[0]["explanation"].get<std::string>().find("Иван"), std::string::npos);

  wire::WatchlistHitRecord foreign = hit;
  foreign.task = "d1.arrival_briefing.amira";
  auto outcome = hq_->ingest().Commit("jonas-1", {Entry(2, foreign)});
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome->refused.size(), 1u);
  EXPECT_EQ(outcome->refused[0].second.code(), ErrorCode::kForbidden);
}

TEST_F(WatchlistTest, HqChecksAPersonFromALaptopThatKeepsNoListAndOneAlertStandsForBothChecks) {
  ASSERT_TRUE(hq_->watchlist().Set({Petrov()}, "dana", &notify_).ok());
  ASSERT_TRUE(hq_->watchlist().Assign("INC-1", {"G-2026-0412"}, "", "dana", &notify_).ok());
  // A plain laptop: the finding arrives with the driver and no hit record.
  IngestOk("jonas-1", {FindingRecord(1, "d1.secondary_inspection.jonas",
                                     {{"dose_rate_1m", 12.5},
                                      {"neutrons_detected", false},
                                      {"driver", "Iwan Petrow|1971-03-02|72-1234567"}})});
  auto hits = hq_->watchlist().Hits("INC-1");
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0]["checked_by"], "hq");
  EXPECT_TRUE((*hits)[0]["document"]);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='watchlist' AND message LIKE "
                  "'%by its document number%checked at HQ%'"),
            1);
  // The laptop's own hit on the same person, arriving later, raises no second alert.
  IngestOk("jonas-1", {Entry(2, wire::WatchlistHitRecord{"d1.secondary_inspection.jonas",
                                                        "G-2026-0412", 1000, true,
                                                        "Iwan Petrow|1971-03-02|72-1234567", "x"})});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='watchlist'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM watchlist_hits"), 2);
  // A stranger, and an optional driver left blank, are no hit.
  IngestOk("jonas-1", {FindingRecord(3, "d1.secondary_inspection.jonas",
                                     {{"driver", "Jonas Berg|1985-06-01"}})});
  IngestOk("jonas-1", {FindingRecord(4, "d1.secondary_inspection.jonas", {{"driver", ""}})});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM watchlist_hits"), 2);
}

}  // namespace
}  // namespace muster::coordtest
