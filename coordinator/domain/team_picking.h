// Who fills each role of a playbook: the officer's assignments first, the rest picked
// from the roster. Pure: the candidates are read by the caller (Deployments), so the
// rules are tested without a database (tests/coordinator/team_picking_test.cc).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "muster/playbook/model.h"
#include "muster/result.h"

namespace muster::hq {

// A member as the team picker sees them.
struct Candidate {
  std::string id;
  std::set<std::string> roles;
  std::set<std::string> qualifications;
  bool busy = false;       // on another active deployment
  bool has_agent = false;  // an active agent to deliver the tasks to
};

// The roster by member id (in id order).
using Candidates = std::map<std::string, Candidate>;

// role -> the members who fill it, in the order they were named or picked.
using TeamByRole = std::map<std::string, std::vector<std::string>>;

struct TeamPick {
  TeamByRole team;
  std::vector<std::string> automatic;  // the roles filled from the roster
  // role -> member -> the qualifications they lack: the officer's call, and recorded.
  nlohmann::json unqualified = nlohmann::json::object();
  std::string gaps;  // the same, for people ("li lacks x for role"), empty when none
};

// Fills the roles |assign| leaves empty from |roster|. A member with an active agent may
// fill a role when their roster roles name it or when they hold every qualification it
// asks for. The qualified come first, then those free of other active deployments, then
// those not yet on this team, then by id. A member named twice for a role fills it once.
// invalid_argument (the playbook has no such role), not_found (no such member),
// unassigned_role (a required role stays empty; says why), no_agent (a member on the
// team has no enrolled agent).
Result<TeamPick> PickTeam(const playbook::Playbook& book, const Candidates& roster,
                          const TeamByRole& assign);

}  // namespace muster::hq
