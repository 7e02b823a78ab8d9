// Exchange of playbooks with OASIS CACAO 2.0 (JSON): export a loaded Muster playbook as
// a CACAO playbook, and import a CACAO playbook as Muster playbook YAML text that
// playbook::LoadText accepts. docs/playbook-exchange.md gives the mapping both ways.
//
// What CACAO cannot say (phases, hazards, findings' units and ranges, triggers...) travels
// in a Muster extension, so that export then import gives the same playbook. What a CACAO
// playbook holds that Muster cannot represent is never dropped silently: each such thing
// is a Note naming its JSON path and what was done with it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/playbook/model.h"

namespace muster::playbook::cacao {

// Something that did not map one to one, or an error that stopped an import.
struct Note {
  std::string path;     // JSON path into the CACAO document: $.workflow['action--…'].commands[0]
  std::string message;  // what is there and what was done with it (or, for an error, the fix)
  std::string ToString() const;  // "PATH: MESSAGE"
};

struct ExportOptions {
  // CACAO's `created` and `modified`: UTC to the millisecond, "2026-11-24T15:20:00.000Z".
  std::string timestamp = "1970-01-01T00:00:00.000Z";
};

struct ExportResult {
  std::string json;         // the CACAO playbook, indented by two spaces
  std::vector<Note> notes;  // what a CACAO reader without the Muster extension misses
};

// Never fails: every loaded playbook has a CACAO form.
ExportResult ExportPlaybook(const Playbook& playbook, const ExportOptions& options = {});

struct ImportLimits {
  std::size_t max_bytes = 4u << 20;  // the JSON text
  int max_depth = 64;                // nesting of JSON arrays and objects
  std::size_t max_steps = 5000;      // entries of `workflow`
  std::size_t max_visits = 200'000;  // step visits while following the flow
};

struct ImportResult {
  std::optional<std::string> yaml;  // set unless |error| is
  std::optional<Note> error;        // why the document could not be imported
  std::vector<Note> notes;          // what could not be represented, and what became of it
  bool ok() const { return yaml.has_value(); }
};

// Never throws. The YAML is a playbook that loads (LoadText) when the document is a
// well-formed CACAO 2.0 playbook; fields a document's Muster extension carries that this
// loader does not know are passed through and then reported by the loader.
ImportResult ImportPlaybook(std::string_view json_text, const ImportLimits& limits = {});

}  // namespace muster::playbook::cacao
