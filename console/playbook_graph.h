// `muster playbook graph`: a playbook's steps, dependencies and triggers as a graph, in
// Graphviz DOT for people and as JSON for tools. Both draw the same nodes and edges.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "muster/playbook/model.h"

namespace muster::console {

// DOT: a cluster per phase in the playbook's order holding its steps (labelled with title,
// id and role; dashed when on_trigger; filled grey when the role is optional), an arrow
// per dependency, and per trigger a diamond with dotted arrows to the steps whose findings
// it reads, dashed arrows to the steps it activates and to a note per alert and notify.
// Every label is escaped.
void WriteDot(const playbook::Playbook& playbook, std::ostream& out);

// The same graph as {"playbook", "version", "phases", "nodes", "edges"}: nodes of kind
// step, trigger, alert and notify; edges of kind depends_on, reads, activates, alerts and
// notifies.
nlohmann::json GraphJson(const playbook::Playbook& playbook);

}  // namespace muster::console
