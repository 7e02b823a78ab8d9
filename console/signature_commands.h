// Playbook governance at the console (docs/playbooks.md#signatures-validity-and-revocation):
//   muster playbook keygen|sign|verify   an author's key and signatures; files only, no HQ
//   muster playbook revoke ID@VERSION    no new deployment of a published version
//   muster author add|list|revoke        the author keys HQ trusts (administrators)
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

#include "cli_support.h"
#include "muster/playbook/signature.h"
#include "muster/result.h"

namespace muster::console {

// Where a playbook's detached signature lives by default: FILE.sig.
std::string SignaturePathFor(const std::string& playbook_file);
// The signature record in |path|. unreadable, malformed (naming the field).
Result<playbook::Signature> ReadSignatureFile(const std::string& path);

// The verbs without CLI11, for tests; each returns its exit status (0 done, 1 refused or
// failed, 2 a usage error). With |json| the answer is one JSON object on |out|.
// keygen: a new key pair for |author| in |key_path| (mode 0600, never overwritten);
// prints the public key and key id to give HQ.
int KeygenCommand(const std::string& author, const std::string& key_path, bool json,
                  std::ostream& out, std::ostream& err);
// sign: FILE.sig for the playbook |file| (which must pass lint) with the key in |key_path|.
int SignCommand(const std::string& file, const std::string& key_path, bool json, std::ostream& out,
                std::ostream& err);
// verify: whether |signature_path| (empty: FILE.sig) is a signature of |file| as it is now.
// It cannot say whether HQ trusts the key: `muster author list` does.
int VerifyCommand(const std::string& file, const std::string& signature_path, bool json,
                  std::ostream& out, std::ostream& err);

// Adds keygen, sign and verify to the `playbook` subcommand |playbook|.
void RegisterSignatureCommands(CLI::App& playbook, const bool& global_json);
// Adds `playbook revoke` to |playbook| and the `author` subcommand to |app|.
void RegisterGovernanceCommands(CLI::App& app, CLI::App& playbook, Context& context);

}  // namespace muster::console
