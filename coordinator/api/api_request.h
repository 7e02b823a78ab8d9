// Who is calling the HTTP API: the operator's name the console sends and the client's
// address, as the Actor of every change a request makes (store/audit_chain.h).
#pragma once

#include "store/audit_chain.h"

namespace httplib {
struct Request;
}

namespace muster::hq {

// The header the console fills from --as NAME, MUSTER_OPERATOR or USER. The name is the
// operator's own claim: the bearer token is shared, so it identifies, it does not prove.
inline constexpr const char* kOperatorHeader = "X-Muster-Operator";

// The request's actor: the operator header (printable ASCII, at most 64 characters,
// "anonymous" when absent) and "api ADDRESS:PORT" as origin.
Actor RequestActor(const httplib::Request& request);

}  // namespace muster::hq
