// Handling markings: how far a playbook, a step's work and each finding may travel. A
// marking has two ordered parts, the Traffic Light Protocol label (FIRST TLP 2.0) and a
// classification; either may be absent. A finding inherits its step's marking and may
// raise it, never lower it; a step may raise its playbook's. docs/playbooks.md, Markings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace muster::playbook {

// In increasing order of restriction.
enum class Tlp { kNone, kClear, kGreen, kAmber, kAmberStrict, kRed };
enum class Classification { kNone, kUnclassified, kRestricted, kConfidential, kSecret };

struct Marking {
  Tlp tlp = Tlp::kNone;
  Classification classification = Classification::kNone;

  bool empty() const { return tlp == Tlp::kNone && classification == Classification::kNone; }
  bool operator==(const Marking&) const = default;
};

// Reads "RESTRICTED // TLP:AMBER", "tlp:red", "confidential" (case-insensitive; the parts
// in either order, separated by spaces or "//"). nullopt, with |error| set to what is
// wrong and what is accepted, for anything else: an unknown word, a part given twice.
std::optional<Marking> ParseMarking(std::string_view text, std::string* error = nullptr);

// The most restrictive marking there is (SECRET // TLP:RED).
inline constexpr Marking kMostRestrictive{Tlp::kRed, Classification::kSecret};

// A marking read back from a store: "" is none; one that cannot be read counts as
// kMostRestrictive, so that what it marks fails closed.
Marking StoredMarking(std::string_view text);

// "RESTRICTED // TLP:AMBER", "TLP:RED", "CONFIDENTIAL"; "" for an empty marking.
std::string ToString(const Marking& marking);
std::string ToString(Tlp tlp);  // "TLP:AMBER+STRICT"; "" for kNone

// Each part the more restrictive of the two.
Marking Raise(const Marking& a, const Marking& b);

// Whether what carries |marking| may go to a partner whose releasability is |limit|: each
// part |marking| gives is no more restrictive than |limit|'s, and a part |limit| leaves
// out admits none (a partner cleared for TLP:AMBER gets nothing classified).
bool ReleasableAt(const Marking& marking, const Marking& limit);

// Whether |marking| gives a part (TLP or classification) less restrictive than |floor|'s.
// A part it leaves out is inherited, so it lowers nothing.
bool Lowers(const Marking& marking, const Marking& floor);

}  // namespace muster::playbook
