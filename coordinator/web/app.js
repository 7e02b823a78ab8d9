// The Muster web console (docs/operations.md#the-web-console). One page; the part after
// "#" says which view. Everything shown is built with DOM nodes and textContent, never
// HTML strings, so text from the field cannot become markup. Changes carry the session's
// CSRF secret; the session itself is an HttpOnly cookie this script never sees.
'use strict';

const app = {
  session: null,   // GET /v1/session
  after: -1,       // the last timeline event seen
  alerts: [],      // open alerts, for the banner and the count
  view: null,      // {render, live}: the view on screen
  refreshing: false,
};

// ---- DOM helpers: text is always text ----

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(visible(String(child))));
  }
  return node;
}

// Field text shown as the CLI shows it (core/display.h): control characters (a terminal's
// escape codes) as \xNN; C1 controls, bidirectional overrides and line separators, which
// would reorder or hide what follows, as <U+XXXX>.
function visible(text) {
  return text
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'))
    .replace(/[\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
      (c) => '<U+' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') + '>');
}

function table(headings, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: headings.length, class: 'muted' }, 'none'))));
}

function when(ms) {
  if (ms === null || ms === undefined) return 'never';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function age(ms) {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm';
  const h = Math.floor(m / 60);
  if (h < 24) return h + 'h ' + (m % 60) + 'm';
  return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
}

// The mark of an exercise's views (docs/programme.md), or null for a real incident.
function exerciseBanner(view) {
  return view.exercise ? el('p', { class: 'exercise-banner' }, 'EXERCISE EXERCISE EXERCISE') : null;
}

function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
}

function can(permission) {
  const role = app.session && app.session.role;
  if (role === 'administrator') return true;
  if (permission === 'read') return !!role;
  if (permission === 'operate') return role === 'officer';
  if (permission === 'publish') return role === 'author';
  return false;
}

// ---- The API ----

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (app.session && app.session.csrf) headers['X-Muster-CSRF'] = app.session.csrf;
  }
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: method === 'GET' ? undefined : JSON.stringify(body || {}),
  });
  let answer = null;
  try { answer = await response.json(); } catch (e) { answer = null; }
  if (!response.ok) {
    const error = (answer && answer.error) || {};
    if (response.status === 401 && path !== '/v1/login') {
      app.session = null;
      showLogin(error.message || 'Please log in.');
    }
    throw new ApiError(response.status, error.code || 'http_' + response.status,
                       error.message || 'HQ answered HTTP ' + response.status);
  }
  return answer;
}

function failure(error) {
  return el('p', { class: 'error', role: 'alert' }, error.message || String(error));
}

// Runs |action| for a button or form and shows its error next to |place|.
async function act(place, action) {
  const old = place.querySelector(':scope > .error');
  if (old) old.remove();
  try {
    await action();
    await refresh(true);
  } catch (error) {
    if (error.status !== 401) place.append(failure(error));
  }
}

// ---- Login ----

function showLogin(message) {
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  document.getElementById('nav-admin').hidden = true;
  const name = el('input', { id: 'login-operator', name: 'operator', autocomplete: 'username', required: true });
  const password = el('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = el('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      const old = form.querySelector('.error');
      if (old) old.remove();
      try {
        app.session = await api('POST', '/v1/login', { operator: name.value, password: password.value, client: 'web' });
        password.value = '';
        startSession();
      } catch (error) {
        form.append(failure(error));
      }
    },
  },
  el('label', { for: 'login-operator' }, 'Operator', name),
  el('label', { for: 'login-password' }, 'Password', password),
  el('button', { type: 'submit', id: 'login-submit' }, 'Log in'));
  show(el('div', { class: 'login' }, el('h1', {}, 'Muster operations room'),
    message ? el('p', { class: 'muted' }, message) : null, form));
  name.focus();
}

function startSession() {
  const who = document.getElementById('who');
  who.textContent = app.session.operator + ' (' + app.session.role + ')' +
    (app.session.break_glass ? ', break glass' : '');
  document.getElementById('logout').hidden = false;
  document.getElementById('nav-admin').hidden = app.session.role !== 'administrator';
  unlockAudio();
  route();
  if (!app.following) follow();
}

// ---- Live: the event stream and the alert signal ----

async function follow() {
  app.following = true;
  let backoff = 1000;
  while (app.session) {
    try {
      const batch = await api('GET', '/v1/events?wait_ms=20000&after=' + app.after);
      setLink(null);
      backoff = 1000;
      const first = app.after < 0;
      app.after = batch.last;
      if (!first && batch.events.length) await refresh();
    } catch (error) {
      if (error.status === 401) break;
      // HQ restarting, or the network gone: say so, keep the page, try again.
      setLink('No answer from HQ (' + (error.message || 'network') + '); retrying…');
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 10000);
      if (app.session) refresh().catch(() => {});
    }
  }
  app.following = false;
}

function setLink(message) {
  const link = document.getElementById('link');
  link.hidden = !message;
  link.textContent = message || '';
}

let audio = null;
function unlockAudio() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  if (audio && audio.state === 'suspended') audio.resume().catch(() => {});
}

function beep() {
  if (!audio || audio.state !== 'running') return;
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.value = 0.2;
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.3);
}

async function loadAlerts() {
  app.alerts = await api('GET', '/v1/alerts?open=1');
  const count = document.getElementById('alert-count');
  count.textContent = app.alerts.length ? String(app.alerts.length) : '';
  const critical = app.alerts.filter((a) => a.severity === 'critical');
  const banner = document.getElementById('critical');
  banner.hidden = critical.length === 0;
  banner.replaceChildren();
  if (critical.length) {
    banner.append(critical.length + ' critical alert' + (critical.length > 1 ? 's' : '') +
      ' unacknowledged: ' + critical[0].message,
    el('a', { href: '#/alerts', class: 'secondary' }, ' Open alerts'));
  }
}

setInterval(() => { if (app.alerts.some((a) => a.severity === 'critical')) beep(); }, 5000);
// Findings and check-ins make no timeline event: the views that show them look again.
setInterval(() => { if (app.session && app.view && app.view.live && !document.hidden) refresh().catch(() => {}); }, 4000);

// ---- Views ----

// Shows the view again with fresh data. A live update (|forced| false) leaves the page
// alone while the operator is typing in one of its forms. A call that comes while another
// is under way is not lost: it runs when that one ends, and a view the operator has left
// meanwhile is never shown.
async function refresh(forced) {
  if (!app.session || !app.view) return;
  if (app.refreshing) {
    app.again = app.again === 'forced' || forced ? 'forced' : 'live';
    return;
  }
  app.refreshing = true;
  app.again = forced ? 'forced' : 'live';
  try {
    while (app.again) {
      const force = app.again === 'forced';
      app.again = null;
      const view = app.view;
      await loadAlerts();
      const nodes = await view.render(view);
      if (view !== app.view) {
        app.again = 'forced';  // the operator went elsewhere: show that instead
        continue;
      }
      const active = document.activeElement;
      if (!force && active && active.closest && active.closest('form') && active.closest('main')) continue;
      show(...nodes);
    }
  } finally {
    app.refreshing = false;
  }
}

function tabs(incident, here) {
  const links = [['board', 'Board'], ['findings', 'Findings'], ['timeline', 'Timeline'],
                 ['sitrep', 'SITREP'], ['map', 'Map']];
  return el('nav', { class: 'tabs', 'aria-label': 'incident' }, links.map(([key, label]) =>
    el('a', { href: '#/incident/' + encodeURIComponent(incident) + '/' + key,
              class: key === here ? 'here' : null, 'aria-current': key === here ? 'page' : null }, label)));
}

async function incidentsView() {
  const incidents = await api('GET', '/v1/incidents');
  return [el('h1', {}, 'Incidents'), table(['ID', 'TITLE', 'SEVERITY', 'STATUS', 'LOCATION', 'OPENED'],
    incidents.map((i) => el('tr', {},
      el('td', {}, el('a', { href: '#/incident/' + encodeURIComponent(i.id) + '/board' }, i.id)),
      el('td', {}, i.exercise ? '[EXERCISE] ' + i.title : i.title), el('td', { class: 'sev-' + i.severity }, i.severity),
      el('td', {}, i.status), el('td', {}, i.location || '-'), el('td', {}, when(i.created_at)))))];
}

function taskRow(task, board) {
  const cells = [
    el('td', {}, task.title, el('div', { class: 'muted' }, task.id)),
    el('td', {}, task.member),
    el('td', { class: 'state state-' + task.state }, task.dormant ? 'dormant' : task.state),
    el('td', {}, waitsOn(task)),
    el('td', { class: task.overdue ? 'overdue' : null }, task.due_at ? (task.overdue ? 'OVERDUE since ' : '') + when(task.due_at) : '-'),
    el('td', { class: 'num' }, String(task.findings)),
    el('td', { class: 'num' }, task.checklist_items ? task.checklist_checked + '/' + task.checklist_items : '-'),
  ];
  if (can('operate')) cells.push(el('td', {}, taskActions(task, board)));
  return el('tr', { 'data-task': task.id }, cells);
}

function waitsOn(task) {
  if (task.state === 'blocked') return 'blocked: ' + (task.reason || 'no reason given');
  if (task.state !== 'waiting') return '';
  if (!task.waits_on.length) return task.dormant ? 'a trigger' : (task.reason || '-');
  return el('ul', { class: 'values' }, task.waits_on.map((w) => el('li', {}, w.title + ' — ' + w.member + ' (' + w.state + ')')));
}

function taskActions(task, board) {
  if (['completed', 'cancelled', 'reassigned'].includes(task.state)) return '';
  const holder = el('div', {});
  const members = board.members.map((m) => m.id).filter((id) => id !== task.member);
  const pick = el('select', { 'aria-label': 'reassign ' + task.id + ' to' }, members.map((id) => el('option', { value: id }, id)));
  holder.append(
    el('button', { type: 'button', class: 'secondary', onclick: () => act(holder, () => {
      const reason = window.prompt('Why is ' + task.id + ' cancelled?', '');
      if (reason === null) return Promise.resolve();
      return api('POST', '/v1/tasks/' + encodeURIComponent(task.id) + '/cancel', { reason });
    }) }, 'Cancel'),
    members.length ? pick : null,
    members.length ? el('button', { type: 'button', class: 'secondary', onclick: () => act(holder, () =>
      api('POST', '/v1/tasks/' + encodeURIComponent(task.id) + '/reassign', { member: pick.value })) }, 'Reassign') : null);
  return holder;
}

// A member's laptop clock against HQ's: marked when it is a minute or more off.
function clockCell(clock) {
  if (!clock) return el('td', { class: 'muted' }, 'unknown');
  return el('td', { class: Math.abs(clock.offset_ms) >= 60000 ? 'stale' : null, 'data-clock': String(clock.offset_ms) }, clock.skew);
}

async function boardView(id) {
  const board = await api('GET', '/v1/incidents/' + encodeURIComponent(id) + '/status');
  const nodes = [el('div', {}, exerciseBanner(board)), el('h1', {}, board.incident.id + ' — ' + board.incident.title),
    el('p', { class: 'muted' }, 'severity ' + board.incident.severity + ', ' + board.incident.status +
      (board.incident.location ? ', ' + board.incident.location : '') + '; as of ' + when(board.generated_at)),
    tabs(id, 'board'), el('h2', {}, 'Team')];
  nodes.push(table(['MEMBER', 'NAME', 'LAST CONTACT', 'DATA AGE', 'POSITION', 'CHECK-IN', 'LAPTOP CLOCK'], board.members.map((m) => {
    const stale = m.last_contact_age_ms === null || m.last_contact_age_ms > m.checkin_interval_ms;
    return el('tr', {}, el('td', {}, m.id), el('td', {}, m.name),
      el('td', { class: stale ? 'stale' : null }, (m.last_contact_at === null ? 'never'
        : when(m.last_contact_at) + ', ' + age(m.last_contact_age_ms) + ' ago') + (stale ? ' (check-in overdue)' : '')),
      el('td', { class: 'data-age' }, m.data_at === null ? 'no data yet' : age(m.data_age_ms) + ' old (' + when(m.data_at) + ')'),
      el('td', {}, m.position ? m.position.place + ' (' + when(m.position.recorded_at) + ')' : '-'),
      el('td', {}, 'every ' + age(m.checkin_interval_ms)), clockCell(m.clock));
  })));
  for (const deployment of board.deployments) {
    nodes.push(el('h2', {}, 'Deployment ' + deployment.id + ': ' + deployment.playbook.title +
      ' (' + deployment.playbook.version + ') — ' + deployment.status));
    const signer = deployment.playbook.signed_by;
    nodes.push(el('p', { class: 'muted' }, signer ? 'Playbook signed by ' + signer.author + ' (key ' +
      signer.key_id + ')' : 'Playbook unsigned'));
    const revoked = deployment.playbook.revoked;
    if (revoked) {
      nodes.push(el('p', { class: 'error' }, 'REVOKED playbook by ' + revoked.by + ': ' + revoked.reason +
        ' (the deployment goes on)'));
    }
    const phases = [];
    for (const task of deployment.tasks) {
      if (!phases.includes(task.phase)) phases.push(task.phase);
    }
    const headings = ['TASK', 'MEMBER', 'STATE', 'WAITS ON', 'DUE', 'FINDINGS', 'CHECKLIST'];
    if (can('operate')) headings.push('ACTIONS');
    for (const phase of phases) {
      nodes.push(el('h3', {}, 'Phase: ' + (phase || '-')),
        table(headings, deployment.tasks.filter((t) => t.phase === phase).map((t) => taskRow(t, board))));
    }
    if (can('operate') && deployment.status === 'active') nodes.push(deploymentActions(deployment, board));
  }
  if (can('operate') && board.incident.status === 'open') nodes.push(await deployForm(id), reportForm(id));
  return nodes;
}

function deploymentActions(deployment, board) {
  const form = el('form', { class: 'inline', 'aria-label': 'deployment ' + deployment.id });
  const member = el('input', { name: 'member', 'aria-label': 'member id', placeholder: 'member id', required: true });
  const role = el('input', { name: 'role', 'aria-label': 'role', placeholder: 'role', required: true });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(form, () => api('POST', '/v1/deployments/' + deployment.id + '/members', { member: member.value, role: role.value }));
  });
  form.append(el('strong', {}, 'Deployment ' + deployment.id + ':'), member, role,
    el('button', { type: 'submit' }, 'Add member'),
    el('button', { type: 'button', class: 'secondary', onclick: () => {
      if (window.confirm('Demobilise deployment ' + deployment.id + '? Open tasks are closed.')) {
        act(form, () => api('POST', '/v1/deployments/' + deployment.id + '/demobilise', {}));
      }
    } }, 'Demobilise'));
  return form;
}

async function deployForm(incident) {
  const library = await api('GET', '/v1/playbooks');
  const form = el('form', { class: 'inline', id: 'deploy-form', 'aria-label': 'deploy a playbook' });
  const pick = el('select', { id: 'deploy-playbook', name: 'playbook', 'aria-label': 'playbook' },
    library.map((p) => el('option', { value: p.hash }, p.title + ' (' + p.id + ' ' + p.version + ')')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(form, () => api('POST', '/v1/deployments', { incident, playbook: pick.value }));
  });
  form.append(el('strong', {}, 'Deploy from the library:'), pick,
    el('button', { type: 'submit', id: 'deploy-submit', disabled: library.length === 0 }, 'Deploy'));
  return form;
}

function reportForm(incident) {
  const form = el('form', { class: 'inline', 'aria-label': 'tactical report' });
  const conditions = el('textarea', { name: 'conditions', rows: 2, cols: 30 });
  const actions = el('textarea', { name: 'actions', rows: 2, cols: 30 });
  const needs = el('input', { name: 'needs', placeholder: 'needs, separated by ;' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(form, () => api('POST', '/v1/incidents/' + encodeURIComponent(incident) + '/reports', {
      conditions: conditions.value, actions: actions.value,
      needs: needs.value.split(';').map((s) => s.trim()).filter((s) => s) }));
  });
  form.append(el('strong', {}, 'Tactical report:'), el('label', {}, 'Conditions', conditions),
    el('label', {}, 'Actions', actions), el('label', {}, 'Needs', needs), el('button', { type: 'submit' }, 'File report'));
  return form;
}

function attachmentCell(file) {
  const link = '/v1/attachments/' + file.id + '/content';
  const complete = file.state === 'complete' || file.verified_at;
  const label = file.name + ' (' + file.size + ' bytes' + (complete ? '' : ', ' + file.received_bytes + ' received') + ')';
  if (complete && /\.(png|jpe?g|gif|webp)$/i.test(file.name)) {
    return el('a', { href: link, download: file.name }, el('img', { class: 'preview', src: link, alt: file.name }), label);
  }
  return complete ? el('a', { href: link, download: file.name }, label) : el('span', { class: 'muted' }, label);
}

async function findingsView(id) {
  const findings = await api('GET', '/v1/incidents/' + encodeURIComponent(id) + '/findings');
  return [el('h1', {}, id + ' — findings'), tabs(id, 'findings'),
    table(['STEP', 'VALUES', 'MEMBER', 'RECORDED (HQ TIME)', 'RECEIVED', 'MARKING', 'ATTACHMENTS'], findings.map((f) => el('tr', { 'data-finding': f.agent + ':' + f.seq },
      el('td', {}, f.step, el('div', { class: 'muted' }, f.task)),
      el('td', {}, el('ul', { class: 'values' }, Object.entries(f.values).map(([field, value]) =>
        el('li', {}, field + ': ' + (typeof value === 'string' ? value : JSON.stringify(value)) +
          (f.units[field] ? ' ' + f.units[field] : '') +
          (f.confirmed_out_of_range.includes(field) ? ' (confirmed out of range)' : ''))))),
      el('td', {}, f.member, el('div', { class: 'muted' }, f.agent)),
      el('td', {}, when(f.recorded_at), Math.abs(f.agent_at - f.recorded_at) >= 1000
        ? el('div', { class: 'muted' }, 'laptop clock said ' + when(f.agent_at)) : null),
      el('td', {}, when(f.received_at)),
      el('td', { class: 'marking' }, f.marking || ''),
      el('td', {}, f.attachments.map(attachmentCell))))) ];
}

async function alertsView() {
  const alerts = await api('GET', '/v1/alerts');
  return [el('h1', {}, 'Alerts'), table(['#', 'INCIDENT', 'SEVERITY', 'KIND', 'MESSAGE', 'RAISED', 'ACKNOWLEDGED'],
    alerts.map((a) => el('tr', { 'data-alert': a.id },
      el('td', { class: 'num' }, String(a.id)), el('td', {}, a.incident),
      el('td', { class: 'sev-' + a.severity }, a.severity), el('td', {}, a.kind), el('td', {}, a.message),
      el('td', {}, when(a.raised_at)),
      el('td', {}, a.acked_by ? a.acked_by + ', ' + when(a.acked_at) : can('operate') ? ackButton(a) : 'no')))) ];
}

function ackButton(alert) {
  const holder = el('span', {});
  holder.append(el('button', { type: 'button', class: 'ack', 'data-alert': alert.id,
    onclick: () => act(holder, () => api('POST', '/v1/alerts/' + alert.id + '/ack', {})) }, 'Acknowledge'));
  return holder;
}

async function timelineView(id) {
  const entries = await api('GET', '/v1/incidents/' + encodeURIComponent(id) + '/timeline');
  return [el('h1', {}, id + ' — timeline'), tabs(id, 'timeline'),
    table(['AT', 'KIND', 'WHO', 'WHAT'], entries.slice().reverse().map((e) =>
      el('tr', {}, el('td', {}, when(e.at)), el('td', {}, e.kind), el('td', {}, e.actor), el('td', {}, e.text))))];
}

async function sitrepView(id) {
  const s = await api('GET', '/v1/incidents/' + encodeURIComponent(id) + '/sitrep');
  const section = (title, ...content) => el('section', {}, el('h2', {}, title), ...content);
  const list = (items, render) => items.length ? el('ul', {}, items.map((i) => el('li', {}, render(i)))) : el('p', { class: 'muted' }, 'none');
  const report = s.tactical_report;
  const banner = () => s.marking ? el('p', { class: 'marking-banner' }, s.marking) : null;
  return [el('div', { class: 'sitrep' },
    exerciseBanner(s),
    banner(),
    el('h1', {}, 'SITREP ' + s.incident.id + ' — ' + s.incident.title),
    tabs(id, 'sitrep'),
    el('p', {}, 'As of ' + when(s.generated_at) + '; severity ' + s.incident.severity + ', ' + s.incident.status +
      '; hazards ' + (s.incident.hazards.join(', ') || '-') + '; location ' + (s.incident.location || '-')),
    el('button', { type: 'button', onclick: () => window.print() }, 'Print'),
    section('Needs', list(s.needs, (n) => n)),
    section('Progress', s.deployments.map((d) => el('div', {}, el('h3', {}, d.playbook.title + ' (' + d.status + ')'),
      table(['PHASE', 'TASKS', 'COMPLETED', 'ACTIVE', 'WAITING', 'BLOCKED'], d.phases.map((p) => el('tr', {},
        el('td', {}, p.title), el('td', { class: 'num' }, String(p.tasks)), el('td', { class: 'num' }, String(p.completed)),
        el('td', { class: 'num' }, String(p.active)), el('td', { class: 'num' }, String(p.waiting)),
        el('td', { class: 'num' }, String(p.blocked)))))))),
    section('Blocked and overdue', el('h3', {}, 'Blocked'), list(s.blocked, (b) => b.task + ' (' + b.member + '): ' + b.reason),
      el('h3', {}, 'Overdue'), list(s.overdue, (o) => o.task + ' (' + o.member + ') overdue by ' + age(o.overdue_ms))),
    section('Key findings', table(['FINDING', 'VALUE', 'WHO', 'RECORDED', 'MARKING'], s.findings.map((f) => el('tr', {},
      el('td', {}, f.label), el('td', {}, String(f.value) + (f.unit ? ' ' + f.unit : '')), el('td', {}, f.member),
      el('td', {}, when(f.recorded_at)), el('td', { class: 'marking' }, f.marking || ''))))),
    section('Team', table(['MEMBER', 'ROLES', 'LAST CONTACT', 'LAPTOP CLOCK', 'POSITION', 'OPEN TASKS'], s.team.map((m) => el('tr', {},
      el('td', {}, m.name + ' (' + m.id + ')'), el('td', {}, m.roles.join(', ')),
      el('td', { class: m.checkin_overdue ? 'stale' : null }, age(m.last_contact_age_ms) + ' ago'), clockCell(m.clock),
      el('td', {}, m.location ? m.location.value : 'unknown'), el('td', { class: 'num' }, String(m.open_tasks)))))),
    section('Tactical report', report ? el('div', {}, el('p', {}, 'By ' + report.author + ', ' + age(report.age_ms) + ' ago'),
      el('p', {}, 'Conditions: ' + report.conditions), el('p', {}, 'Actions: ' + report.actions)) : el('p', { class: 'muted' }, 'none filed')),
    banner())];
}

function parsePlace(value) {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(String(value));
  if (!match) return null;
  const lat = Number(match[1]);
  const lon = Number(match[2]);
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? [lat, lon] : null;
}

async function mapView(id, view) {
  const [s, setup] = await Promise.all([api('GET', '/v1/incidents/' + encodeURIComponent(id) + '/sitrep'), api('GET', '/v1/map')]);
  const points = [];
  for (const m of s.team) {
    const place = m.location && parsePlace(m.location.value);
    if (place) {
      points.push({ place, kind: 'member', label: m.name + ' (' + m.id + '), ' +
        (m.location.source === 'check-in' ? 'checked in ' : '') + when(m.location.recorded_at) });
    }
  }
  for (const f of s.findings) {
    const place = parsePlace(f.value);
    if (place) points.push({ place, label: f.label + ' by ' + f.member + ', ' + when(f.recorded_at), kind: 'finding' });
  }
  const holder = el('div', { id: 'map', role: 'region', 'aria-label': 'map of positions' });
  const legend = table(['WHAT', 'POSITION'], points.map((p) => el('tr', {}, el('td', {}, p.label), el('td', {}, p.place.join(', ')))));
  setTimeout(() => drawMap(holder, points, setup.tiles), 0);
  // The map is redrawn only when the view is opened again: panning is not interrupted.
  view.live = false;
  return [el('h1', {}, id + ' — map'), tabs(id, 'map'),
    el('p', { class: 'muted' }, 'Members\' last known positions and geolocated findings, on a latitude/longitude grid' +
      (setup.tiles ? ' over HQ\'s offline map tiles.' : ' (no map tiles installed at HQ; see DATA/tiles).')),
    holder, legend];
}

function drawMap(holder, points, tiles) {
  if (!window.L || !holder.isConnected) return;
  const map = L.map(holder, { attributionControl: false, zoomSnap: 0.25, minZoom: 1, maxZoom: 20 });
  if (tiles) L.tileLayer('/tiles/{z}/{x}/{y}.png', { maxZoom: 19, errorTileUrl: '' }).addTo(map);
  let bounds = L.latLngBounds([[-60, -170], [75, 170]]);
  if (points.length) {
    // At least about a kilometre across, so that one point (or several at one place) shows.
    const around = L.latLngBounds(points.map((p) => p.place));
    const centre = around.getCenter();
    bounds = around.extend([[centre.lat - 0.005, centre.lng - 0.005], [centre.lat + 0.005, centre.lng + 0.005]]).pad(0.25);
  }
  map.invalidateSize();
  map.fitBounds(bounds);
  // A graticule well beyond the view, labelled on hover, in place of map tiles.
  const step = gridStep(bounds);
  const south = Math.floor(bounds.getSouth() / step) * step - 10 * step;
  const north = bounds.getNorth() + 10 * step;
  const west = Math.floor(bounds.getWest() / step) * step - 10 * step;
  const east = bounds.getEast() + 10 * step;
  const digits = step < 0.001 ? 4 : step < 1 ? 3 : 0;
  for (let lat = south; lat <= north; lat += step) {
    L.polyline([[lat, west], [lat, east]], { color: '#99a', weight: 1 }).addTo(map)
      .bindTooltip(el('span', {}, 'latitude ' + lat.toFixed(digits) + '°'));
  }
  for (let lon = west; lon <= east; lon += step) {
    L.polyline([[south, lon], [north, lon]], { color: '#99a', weight: 1 }).addTo(map)
      .bindTooltip(el('span', {}, 'longitude ' + lon.toFixed(digits) + '°'));
  }
  for (const p of points) {
    L.circleMarker(p.place, { radius: 8, color: p.kind === 'member' ? '#0b5cad' : '#b00020', fillOpacity: 0.8 })
      // A node, not a string: Leaflet puts string content in as HTML.
      .addTo(map).bindTooltip(el('span', {}, p.label),
        { permanent: true, direction: p.kind === 'member' ? 'left' : 'right' });
  }
}

function gridStep(bounds) {
  const span = Math.max(bounds.getNorth() - bounds.getSouth(), bounds.getEast() - bounds.getWest());
  for (const step of [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30]) {
    if (span / step <= 12) return step;
  }
  return 30;
}

async function adminView() {
  const [agents, operators] = await Promise.all([api('GET', '/v1/agents'), api('GET', '/v1/operators')]);
  const enrol = el('form', { class: 'inline', 'aria-label': 'enrol an agent' });
  const member = el('input', { name: 'member', 'aria-label': 'member id', placeholder: 'member id', required: true });
  enrol.addEventListener('submit', (event) => {
    event.preventDefault();
    act(enrol, async () => {
      const enrolled = await api('POST', '/v1/agents', { member: member.value });
      download(enrolled.agent_id + '.bundle.json', enrolled.bundle);
    });
  });
  enrol.append(el('strong', {}, 'Enrol an agent (the bundle is downloaded):'), member, el('button', { type: 'submit' }, 'Enrol'));
  const add = el('form', { class: 'inline', 'aria-label': 'add an operator' });
  const name = el('input', { name: 'name', 'aria-label': 'login name', placeholder: 'login name', required: true });
  const role = el('select', { name: 'role', 'aria-label': 'role' }, ['viewer', 'officer', 'author', 'administrator'].map((r) => el('option', { value: r }, r)));
  const password = el('input', { name: 'password', type: 'password', 'aria-label': 'password', placeholder: 'password (12+ characters)', required: true, autocomplete: 'new-password' });
  add.addEventListener('submit', (event) => {
    event.preventDefault();
    act(add, () => api('POST', '/v1/operators', { name: name.value, role: role.value, password: password.value }));
  });
  add.append(el('strong', {}, 'Add an operator:'), name, role, password, el('button', { type: 'submit' }, 'Add'));
  return [el('h1', {}, 'Administration'), el('h2', {}, 'Agents'), enrol,
    table(['AGENT', 'MEMBER', 'STATUS', 'LAST CONTACT', ''], agents.map((a) => {
      const cell = el('td', {});
      if (a.status === 'active') {
        cell.append(el('button', { type: 'button', class: 'secondary', onclick: () => {
          if (window.confirm('Revoke ' + a.id + '? Its key stops working at once.')) act(cell, () => api('POST', '/v1/agents/' + encodeURIComponent(a.id) + '/revoke', {}));
        } }, 'Revoke'));
      }
      return el('tr', {}, el('td', {}, a.id), el('td', {}, a.member), el('td', {}, a.status), el('td', {}, when(a.last_contact_at)), cell);
    })),
    el('h2', {}, 'Operators'), add,
    table(['OPERATOR', 'NAME', 'ROLE', 'STATUS', 'SESSIONS', ''], operators.map((o) => {
      const cell = el('td', {});
      const path = '/v1/operators/' + encodeURIComponent(o.name);
      cell.append(el('button', { type: 'button', class: 'secondary', onclick: () =>
        act(cell, () => api('POST', path + (o.disabled ? '/enable' : '/disable'), {})) },
      o.disabled ? 'Enable' : 'Disable'));
      cell.append(el('button', { type: 'button', class: 'secondary', onclick: () => {
        if (window.confirm('End every session of ' + o.name + '? They must log in again.')) act(cell, () => api('POST', path + '/end-sessions', {}));
      } }, 'End sessions'));
      const reset = el('form', { class: 'inline', 'aria-label': 'reset the password of ' + o.name });
      const fresh = el('input', { type: 'password', name: 'password', 'aria-label': 'new password for ' + o.name, placeholder: 'new password', required: true, autocomplete: 'new-password' });
      reset.addEventListener('submit', (event) => {
        event.preventDefault();
        act(reset, () => api('POST', path + '/reset', { password: fresh.value }));
      });
      reset.append(fresh, el('button', { type: 'submit', class: 'secondary' }, 'Reset password'));
      cell.append(reset);
      return el('tr', {}, el('td', {}, o.name), el('td', {}, o.display_name), el('td', {}, o.role),
        el('td', {}, o.disabled ? 'disabled' : 'enabled'), el('td', { class: 'num' }, String(o.sessions)), cell);
    }))];
}

// The monthly intelligence report (docs/programme.md): |month| YYYY-MM, |releasable| a
// partner's marking or empty. The form puts both in the address, so a report can be
// bookmarked and sent. A report is read, not watched: it stays as it is while the
// operator reads it.
async function reportView(month, releasable, view) {
  view.live = false;
  const query = '?month=' + encodeURIComponent(month) + (releasable ? '&releasable=' + encodeURIComponent(releasable) : '');
  const form = el('form', { class: 'inline', id: 'report-form', 'aria-label': 'which report' });
  const monthInput = el('input', { type: 'month', id: 'report-month', 'aria-label': 'month', value: month, required: true });
  const limit = el('input', { type: 'text', id: 'report-releasable', 'aria-label': 'releasable to', placeholder: 'releasable to, e.g. TLP:GREEN', value: releasable || '' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = '#/reports/' + encodeURIComponent(monthInput.value) + (limit.value ? '/' + encodeURIComponent(limit.value) : '');
  });
  form.append(monthInput, limit, el('button', { type: 'submit' }, 'Show'));
  const heading = el('h1', {}, 'Monthly intelligence report, ' + month);
  let r;
  try {
    r = await api('GET', '/v1/reports/monthly' + query);
  } catch (error) {
    if (error.status === 401) throw error;
    return [heading, form, failure(error)];  // the form stays, to put the mistake right
  }
  form.append(el('button', { type: 'button', class: 'secondary', onclick: () => download('monthly-report-' + r.month + '.json', JSON.stringify(r, null, 2)) }, 'Download JSON'));
  const banner = () => r.marking ? el('p', { class: 'marking-banner' }, r.marking) : null;
  const bars = (heading, tallies, name) => {
    const most = Math.max(1, ...tallies.map((t) => t.count));
    return table([heading, 'COUNT', ''], tallies.map((t) => el('tr', {},
      el('td', {}, name ? name(t.key) : t.key), el('td', { class: 'num' }, String(t.count)),
      el('td', {}, el('meter', { min: 0, max: most, value: t.count, 'aria-label': t.key || 'unknown' })))));
  };
  const place = (p) => p || '?';
  const route = (x) => [place(x.origin), ...x.transit, place(x.destination)].join(' → ');
  const hazards = r.trend.length ? r.trend[r.trend.length - 1].by_hazard.map((h) => h.key.toUpperCase()) : [];
  const section = (title, ...content) => el('section', {}, el('h2', {}, title), ...content);
  return [el('div', { class: 'report' },
    banner(),
    heading,
    form,
    el('p', {}, r.incidents.total + ' incidents opened from ' + r.from + ' to ' + r.to +
      (r.exercises_excluded ? ' (' + r.exercises_excluded + ' exercises not counted)' : '') + '.' +
      (r.releasable ? ' Releasable to ' + r.releasable + ': ' + r.withheld + ' findings above it left out.' : '')),
    section('Incidents', bars('HAZARD CLASS', r.incidents.by_hazard),
      bars('COUNTRY', r.incidents.by_country, (c) => c || 'unknown'), bars('SEVERITY', r.incidents.by_severity)),
    section('Trend', table(['MONTH', 'INCIDENTS', ...hazards], r.trend.map((m) => el('tr', {},
      el('td', {}, m.month), el('td', { class: 'num' }, String(m.incidents)),
      m.by_hazard.map((h) => el('td', { class: 'num' }, String(h.count))))))),
    section('Materials seized', table(['MATERIAL', 'SEIZURES', 'QUANTITY', 'WITHOUT A QUANTITY'],
      r.materials.map((m) => el('tr', {}, el('td', {}, m.material), el('td', { class: 'num' }, String(m.seizures)),
        el('td', { class: 'num' }, m.quantities.map((q) => q.quantity + ' ' + q.unit).join('; ') || '-'),
        el('td', { class: 'num' }, String(m.without_quantity)))))),
    section('Trafficking routes', table(['ROUTE', 'FINDINGS', 'MATERIALS'], r.routes.map((x) => el('tr', {},
      el('td', {}, route(x)), el('td', { class: 'num' }, String(x.findings)), el('td', {}, x.materials.join(', ') || '-'))))),
    section('Methods', bars('METHOD', r.methods)),
    section('Open questions', r.open_questions.length
      ? el('ul', {}, r.open_questions.map((q) => el('li', {}, q))) : el('p', { class: 'muted' }, 'none')),
    banner())];
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- Routing ----

function route() {
  if (!app.session) return;
  let parts;
  try {
    parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  } catch (error) {
    parts = [];  // an address that is not valid percent-encoding: the incident list
  }
  const views = {
    incidents: () => incidentsView(),
    alerts: () => alertsView(),
    admin: () => adminView(),
    reports: (view) => reportView(parts[1] || new Date().toISOString().slice(0, 7), parts[2] || '', view),
  };
  const incidentViews = { board: boardView, findings: findingsView, timeline: timelineView, sitrep: sitrepView, map: mapView };
  let render = views[parts[0]] || views.incidents;
  if (parts[0] === 'incident' && parts[1]) render = (view) => (incidentViews[parts[2]] || boardView)(parts[1], view);
  app.view = { render, live: true };
  document.getElementById('main').focus();
  refresh().catch((error) => { if (error.status !== 401) show(failure(error)); });
}

window.addEventListener('hashchange', route);
window.addEventListener('click', unlockAudio);
window.addEventListener('keydown', unlockAudio);
document.addEventListener('DOMContentLoaded', async () => {
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('POST', '/v1/logout', {}); } catch (e) { /* the session may be gone already */ }
    app.session = null;
    showLogin('Logged out.');
  });
  try {
    app.session = await api('GET', '/v1/session');
    startSession();
  } catch (error) {
    if (error.status !== 401) showLogin(error.message);
  }
});
