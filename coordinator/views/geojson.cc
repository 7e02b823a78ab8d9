// IncidentViews::GeoJson: where things are, for a partner's map (RFC 7946). Points are
// [longitude, latitude] in WGS 84, as the RFC orders them (Muster's own values are
// latitude,longitude). Each geolocation value of every finding is a feature marked with
// its finding's marking; each member's last known position (newest check-in or
// geolocation finding, views/sitrep.cc) is a feature marked with the most restrictive
// marking of the incident's playbooks: where a team is is as sensitive as its work.
#include <charconv>

#include "muster/clock.h"
#include "muster/playbook/fields.h"
#include "views/incident_views.h"

namespace muster::hq {
namespace {

// [longitude, latitude] of a "lat,lon" value; nullopt for anything else.
std::optional<json> Point(const json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string text = value;
  const auto comma = text.find(',');
  if (comma == std::string::npos) return std::nullopt;
  double lat = 0, lon = 0;
  const auto read = [](std::string_view part, double& out) {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), out);
    return error == std::errc() && end == part.data() + part.size();
  };
  if (!read(std::string_view(text).substr(0, comma), lat) ||
      !read(std::string_view(text).substr(comma + 1), lon)) {
    return std::nullopt;
  }
  return json::array({lon, lat});
}

json Feature(json coordinates, json properties) {
  return {{"type", "Feature"},
          {"geometry", {{"type", "Point"}, {"coordinates", std::move(coordinates)}}},
          {"properties", std::move(properties)}};
}

}  // namespace

Result<json> IncidentViews::GeoJson(const std::string& incident_id,
                                    const std::optional<playbook::Marking>& releasable) {
  Result<json> board = IncidentStatus(incident_id);
  if (!board.ok()) return board.status();
  Result<json> findings = IncidentFindings(incident_id);
  if (!findings.ok()) return findings.status();
  Result<json> sitrep = Sitrep(incident_id);
  if (!sitrep.ok()) return sitrep.status();

  // Each deployment's playbook, for the fields' types; the team's marking.
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> book_of_deployment;
  playbook::Marking team_marking;
  for (const json& deployment : (*board)["deployments"]) {
    auto book = playbooks_.ByHash(deployment["playbook"]["hash"]);
    if (!book.ok()) {
      // What the team of a playbook HQ cannot read does is of unknown marking.
      team_marking = playbook::kMostRestrictive;
      continue;
    }
    book_of_deployment["d" + std::to_string(deployment["id"].get<std::int64_t>()) + "."] = *book;
    team_marking = playbook::Raise(team_marking, (*book)->marking);
  }
  const auto allowed = [&](const playbook::Marking& marking) {
    return !releasable || playbook::ReleasableAt(marking, *releasable);
  };

  json features = json::array();
  int withheld = 0;
  for (const json& finding : *findings) {
    const std::string task = finding["task"];
    const auto book = book_of_deployment.find(task.substr(0, task.find('.') + 1));
    if (book == book_of_deployment.end()) continue;
    const playbook::Step* step = book->second->FindStep(finding["step"]);
    if (step == nullptr) continue;
    const playbook::Marking marking = playbook::StoredMarking(finding["marking"].get<std::string>());
    for (const playbook::FieldSpec& field : step->findings) {
      if (field.type != playbook::FieldType::kGeolocation) continue;
      const auto value = finding["values"].find(field.id);
      if (value == finding["values"].end()) continue;
      std::optional<json> point = Point(*value);
      if (!point) continue;
      if (!allowed(marking)) {
        ++withheld;
        continue;
      }
      features.push_back(Feature(
          std::move(*point),
          {{"kind", "finding"},
           {"incident", incident_id},
           {"task", task},
           {"step", finding["step"]},
           {"field", field.id},
           {"label", field.label.empty() ? field.id : field.label},
           {"member", finding["member"]},
           {"recorded_at", FormatTimestamp(finding["recorded_at"].get<Millis>())},
           {"marking", finding["marking"]}}));
    }
  }
  for (const json& member : (*sitrep)["team"]) {
    const json& location = member["location"];
    if (!location.is_object()) continue;
    std::optional<json> point = Point(location["value"]);
    if (!point) continue;
    if (!allowed(team_marking)) {
      ++withheld;
      continue;
    }
    features.push_back(
        Feature(std::move(*point), {{"kind", "member"},
                                    {"incident", incident_id},
                                    {"member", member["id"]},
                                    {"name", member["name"]},
                                    {"source", location["source"]},
                                    {"recorded_at", FormatTimestamp(location["recorded_at"].get<Millis>())},
                                    {"marking", playbook::ToString(team_marking)}}));
  }
  // An exercise's features say so each, since a partner's system may take them apart.
  const bool exercise = (*sitrep)["exercise"].get<bool>();
  if (exercise) {
    for (json& feature : features) feature["properties"]["exercise"] = true;
  }
  return json{{"type", "FeatureCollection"},
              {"features", std::move(features)},
              {"muster",
               {{"incident", incident_id},
                {"exercise", exercise},
                {"generated_at", FormatTimestamp(clock_.Now())},
                {"releasable", releasable ? playbook::ToString(*releasable) : ""},
                {"withheld", withheld}}}};
}

}  // namespace muster::hq
