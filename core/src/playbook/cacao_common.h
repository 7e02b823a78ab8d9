// What the CACAO exporter and importer share: identifiers, the Muster extension's id and
// the spelling of JSON paths in notes. docs/playbook-exchange.md describes the mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "muster/playbook/marking.h"

namespace muster::playbook::cacao {

inline constexpr const char* kSpecVersion = "cacao-2.0";
// The extension-definition entry's name; its id is MusterExtensionId().
inline constexpr const char* kExtensionName = "Muster playbook";
inline constexpr const char* kExtensionVersion = "1.0.0";

// A CACAO identifier "KIND--UUID" whose UUID is derived from |seed| (SHA-256, shaped as a
// name-based version 5 UUID, which CACAO's identifier pattern accepts): the same playbook
// exports to the same identifiers every time.
std::string DerivedId(std::string_view kind, std::string_view seed);

// The identifier of the Muster extension definition, the same in every export.
std::string MusterExtensionId();

// "$.workflow" + "action--x" -> "$.workflow['action--x']"; plain names use a dot.
std::string PathKey(const std::string& path, std::string_view key);
// "$.commands" + 2 -> "$.commands[2]".
std::string PathIndex(const std::string& path, std::size_t index);

// "1h30m" for 5 400 000 ms, in the playbook's duration syntax; rounded up to whole seconds.
std::string DurationText(std::int64_t ms);

// The identifier of the standard CACAO data marking definition of a TLP 2.0 level (the
// CACAO technical committee publishes one fixed definition per level); "" for Tlp::kNone.
std::string TlpMarkingId(Tlp tlp);
// The creator and creation time the standard TLP definitions carry.
inline constexpr const char* kTlpMarkingCreator = "identity--5abe695c-7bd5-4c31-8824-2528696cdbf1";
inline constexpr const char* kTlpMarkingCreated = "2022-10-01T00:00:00.000Z";
// How a classification travels: the statement of a marking-statement definition.
inline constexpr const char* kClassificationPrefix = "Classification: ";

// A CACAO variable name for a Muster id: "dose_rate" -> "__dose_rate__".
std::string VariableName(std::string_view id);

}  // namespace muster::playbook::cacao
