// The API's routes by resource (docs/api.md), each file adding its own to the server.
#pragma once

#include <httplib.h>

#include "api/api_context.h"

namespace muster::hq {

// incident_routes.cc: incidents, status, findings, reports, timeline, SITREP, the
// attachments of findings, the event stream.
void AddIncidentRoutes(httplib::Server& server, ApiContext& context);
// roster_routes.cc: members and agents (enrol, list, revoke, rotate).
void AddRosterRoutes(httplib::Server& server, ApiContext& context);
// deployment_routes.cc: playbooks (publishing, revoking), deployments and the operations
// on them.
void AddDeploymentRoutes(httplib::Server& server, ApiContext& context);
// author_routes.cc: the playbook authors HQ trusts (administrators only, by the guard).
void AddAuthorRoutes(httplib::Server& server, ApiContext& context);
// alert_routes.cc
void AddAlertRoutes(httplib::Server& server, ApiContext& context);
// watchlist_routes.cc: persons of interest and the incidents carrying them.
void AddWatchlistRoutes(httplib::Server& server, ApiContext& context);
// exercise_routes.cc: exercise scripts and after-action reports.
void AddExerciseRoutes(httplib::Server& server, ApiContext& context);
// report_routes.cc: the programme's monthly intelligence report.
void AddReportRoutes(httplib::Server& server, ApiContext& context);
// archive_routes.cc: signed incident archives for partners, and HQ's archive key.
void AddArchiveRoutes(httplib::Server& server, ApiContext& context);
// audit_routes.cc
void AddAuditRoutes(httplib::Server& server, ApiContext& context);
// web_routes.cc: the web console's files (no credentials needed to fetch them), and the
// map's offline tiles from DATA/tiles.
void AddWebRoutes(httplib::Server& server, ApiContext& context);
// web_routes.cc: the headers every answer carries (Content-Security-Policy and others;
// Strict-Transport-Security too when |https|).
void AddSecurityHeaders(httplib::Server& server, bool https);
// operator_routes.cc: operator accounts (administrators only, by the guard).
void AddOperatorRoutes(httplib::Server& server, ApiContext& context);
// monitoring_routes.cc: /healthz (no token) and /metrics (Prometheus text).
void AddMonitoringRoutes(httplib::Server& server, ApiContext& context);

}  // namespace muster::hq
