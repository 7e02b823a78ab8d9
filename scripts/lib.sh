# Shared by scripts/demo, scripts/test and scripts/bench: install what is missing, build.
# Sourced, not run.

MUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MUSTER_PACKAGES=(
  build-essential cmake pkg-config git
  libzmq3-dev cppzmq-dev libsqlitecpp-dev libsqlite3-dev libyaml-cpp-dev libspdlog-dev
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libsodium-dev libzstd-dev libre2-dev libssl-dev
  libgtest-dev sqlite3
  help2man  # the man pages, made at build time (packaging/man_pages.cmake)
  file      # cpack -G DEB looks at the programs with it before dpkg-shlibdeps
  libjs-leaflet  # the web console's map, built into the coordinator (coordinator/web)
  libcairo2-dev libfontconfig-dev fonts-dejavu-core  # the console's report charts (console/charts.h)
  libxml2-dev  # partner exports in XML (muster/xml_writer.h) and their schema checks
)

# Installs the Debian packages that are not installed yet (apt-get update first, since a
# fresh machine's package lists may be stale). Through sudo when not root.
muster_install_deps() {
  local missing=() pkg
  for pkg in "${MUSTER_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures into build/ (or $MUSTER_BUILD_DIR) and builds with all cores.
muster_build() {
  local dir="${MUSTER_BUILD_DIR:-$MUSTER_ROOT/build}"
  cmake -S "$MUSTER_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="${MUSTER_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}
