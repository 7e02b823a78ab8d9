#!/usr/bin/env bash
# install_test.sh CMAKE BUILD_DIR MANIFEST
# Installs the build twice, into a fresh prefix and with DESTDIR and the prefix /usr (as
# the packages do), and checks each against MANIFEST: the same files, no more, no less,
# with sane modes and units that name the installed programs. Then starts the installed
# coordinator with the installed example configuration (pointed at a temporary data
# directory and free ports), reaches it with the installed console, lints the installed
# playbook library, and stops it with SIGTERM, which must end it cleanly.
set -euo pipefail

cmake=$1 build=$2 manifest=$3
work=$(mktemp -d)
coordinator_pid=
cleanup() {
  if [ -n "$coordinator_pid" ]; then kill -KILL "$coordinator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The files below $1, one path a line relative to it, sorted.
files_below() {
  (cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort)
}

# Checks the file list (given on stdin) against the manifest.
check_manifest() {
  local what=$1
  if ! diff -u <(grep -v '^#' "$manifest" | LC_ALL=C sort) - >"$work/diff"; then
    cat "$work/diff" >&2
    fail "$what: the installed files differ from $manifest (- missing, + not in the manifest)"
  fi
}

# Programs 0755, everything else 0644, below $1.
check_modes() {
  local root=$1 path mode
  while IFS= read -r path; do
    mode=$(stat -c %a "$root/$path")
    case "$path" in
      */bin/* | bin/*) [ "$mode" = 755 ] || fail "$path has mode $mode, not 755" ;;
      *) [ "$mode" = 644 ] || fail "$path has mode $mode, not 644" ;;
    esac
  done < <(files_below "$root")
}

# The unit's ExecStart= line must be exactly $2.
check_exec_start() {
  grep -qxF "ExecStart=$2" "$1" || fail "$1 does not say ExecStart=$2: $(grep ExecStart= "$1")"
}

echo "== cmake --install --prefix"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
files_below "$prefix" | check_manifest "--prefix"
check_modes "$prefix"
check_exec_start "$prefix/lib/systemd/system/muster-coordinator.service" \
  "$prefix/bin/muster-coordinator --config $prefix/etc/muster/coordinator.yaml"
check_exec_start "$prefix/lib/systemd/user/muster-agent.service" \
  "$prefix/bin/muster-agent --config %E/muster/agent.yaml run"

echo "== DESTDIR with the prefix /usr (as the packages are made)"
root=$work/root
DESTDIR=$root "$cmake" --install "$build" --prefix /usr >/dev/null
# The manifest names paths below the prefix; /etc is the one path outside /usr.
files_below "$root" | sed 's|^usr/||' | LC_ALL=C sort | check_manifest "DESTDIR"
check_modes "$root"
check_exec_start "$root/usr/lib/systemd/system/muster-coordinator.service" \
  "/usr/bin/muster-coordinator --config /etc/muster/coordinator.yaml"

echo "== completions and man pages"
grep -qxF "complete -F _muster muster" "$prefix/share/bash-completion/completions/muster" ||
  fail "the console's bash completion does not complete muster"
grep -qxF "complete -F _muster_agent muster-agent" \
  "$prefix/share/bash-completion/completions/muster-agent" ||
  fail "the agent's bash completion does not complete muster-agent"
for script in "$prefix"/share/bash-completion/completions/*; do
  bash -n "$script" || fail "$script is not valid bash"
done
for page in "$prefix"/share/man/man1/*.1.gz; do
  program=$(basename "$page" .1.gz)
  gzip -dc "$page" | grep -q "^$program \\\\- " || fail "$page has no NAME line for $program"
  gzip -dc "$page" | grep -q '^\.SH "SEE ALSO"' || fail "$page has no SEE ALSO section"
done

if command -v systemd-analyze >/dev/null; then
  echo "== systemd-analyze verify"
  # --man=no: the man pages are not where man(1) looks, below a temporary prefix.
  systemd-analyze verify --man=no \
    "$prefix/lib/systemd/system/muster-coordinator.service" ||
    fail "systemd-analyze verify refuses muster-coordinator.service"
  systemd-analyze verify --man=no "$prefix/lib/systemd/user/muster-agent.service" ||
    fail "systemd-analyze verify refuses muster-agent.service"
else
  echo "== systemd-analyze not found: units not verified"
fi

echo "== the installed coordinator, with the installed example configuration"
config=$work/coordinator.yaml data=$work/data
sed -e "s|^data_dir: /var/lib/muster$|data_dir: $data|" \
  -e 's|^  bind: tcp://0.0.0.0:7470$|  bind: tcp://127.0.0.1:*|' \
  -e 's|^  port: 7471$|  port: 0|' \
  "$prefix/etc/muster/coordinator.yaml" >"$config"
[ "$(diff "$prefix/etc/muster/coordinator.yaml" "$config" | grep -c '^>')" = 3 ] ||
  fail "the example configuration no longer has the data_dir, agents.bind and api.port lines this test changes"
"$prefix/bin/muster-coordinator" --config "$config" 2>"$work/coordinator.log" &
coordinator_pid=$!
for _ in $(seq 200); do
  [ -s "$data/coordinator.json" ] && break
  kill -0 "$coordinator_pid" 2>/dev/null || { cat "$work/coordinator.log" >&2; fail "the coordinator exited at start"; }
  sleep 0.1
done
[ -s "$data/coordinator.json" ] || fail "no $data/coordinator.json after 20 s"
[ "$(stat -c %a "$data/api.token")" = 600 ] || fail "api.token is not 0600"

"$prefix/bin/muster" --data "$data" incident list >"$work/list" ||
  fail "muster --data DIR incident list failed: $(cat "$work/list")"
"$prefix/bin/muster" --data "$data" --json incident list >"$work/list.json"
[ "$(tr -d ' \n' <"$work/list.json")" = "[]" ] ||
  fail "a new coordinator lists incidents: $(cat "$work/list.json")"
"$prefix/bin/muster" playbook lint "$prefix/share/muster/playbooks" >"$work/lint" ||
  fail "the installed playbook library does not lint: $(cat "$work/lint")"

kill -TERM "$coordinator_pid"
status=0
wait "$coordinator_pid" || status=$?
coordinator_pid=
[ "$status" = 0 ] || { cat "$work/coordinator.log" >&2; fail "the coordinator exited with $status after SIGTERM"; }
grep -q "event=stopped" "$work/coordinator.log" ||
  fail "the coordinator's log has no event=stopped line"

echo "install test passed"
