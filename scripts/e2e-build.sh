#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd used by the end-to-end tests (test/e2e) from
# the Go modules pinned in test/e2e/go/*, into a cache folder outside the repository
# clone, keyed by version. See docs/e2e.md.
#
#   scripts/e2e-build.sh [build] [--force]   build what is missing, then print the paths
#   scripts/e2e-build.sh paths               print the paths; exit 3 if a binary is missing
#   scripts/e2e-build.sh pin K8S [ETCD]      re-pin test/e2e/go to Kubernetes K8S (v1.N.P)
#                                            and etcd ETCD (v3.N.P), rewriting go.mod/go.sum
#
# Exit codes: 0 ok; 1 build failed; 2 a prerequisite is missing (Go, the Go module proxy);
# 3 (paths only) a binary is not built yet.
#
# The paths go to stdout as KEY=VALUE lines (KUBE_APISERVER=..., ETCD=..., K8S_VERSION=...,
# ETCD_VERSION=...); progress and errors go to stderr.
#
# Environment:
#   KUBEIAM_E2E_CACHE       cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam-e2e)
#   KUBEIAM_E2E_BUILD_JOBS  parallel compile jobs, go build -p (default: number of cores, max 4)
#   GO                      the go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/test/e2e/go"
CACHE="${KUBEIAM_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam-e2e}"
START_SECONDS=$SECONDS

log() { printf '[e2e-build %s] %s\n' "$(elapsed)" "$*" >&2; }
die() {
  printf '[e2e-build] error: %s\n' "$*" >&2
  exit 1
}
# A missing prerequisite (Go, the module proxy): exit 2, so tests can tell it from a broken build.
die_prereq() {
  printf '[e2e-build] error: %s\n' "$*" >&2
  exit 2
}
elapsed() {
  local s=$((SECONDS - START_SECONDS))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# --- toolchain -----------------------------------------------------------------------------

find_go() {
  if [[ -n "${GO:-}" ]]; then
    command -v "$GO" >/dev/null 2>&1 || die_prereq "GO=$GO is not an executable go command"
  elif command -v go >/dev/null 2>&1; then
    GO=go
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    die_prereq "the Go toolchain was not found (no 'go' on PATH nor /usr/local/go/bin/go).
  The e2e tests build kube-apiserver and etcd from source: install Go $(required_go) or newer
  (https://go.dev/dl), or set GO=/path/to/go."
  fi
  # Never let go fetch another toolchain: use the one installed.
  export GOTOOLCHAIN=local
  local have need
  have="$("$GO" env GOVERSION)"
  have="${have#go}"
  need="$(required_go)"
  if ! version_ge "$have" "$need"; then
    die_prereq "Go $have is too old: the pinned modules need Go $need or newer (GO=$GO)."
  fi
}

# The highest 'go' directive among the pinned modules.
required_go() {
  local v best=0
  for f in "$SRC/kube-apiserver/go.mod" "$SRC/etcd/go.mod"; do
    [[ -f "$f" ]] || continue
    v="$(awk '$1 == "go" { print $2; exit }' "$f")"
    if version_ge "$v" "$best"; then best="$v"; fi
  done
  echo "$best"
}

# version_ge A B: true when dotted version A >= B.
version_ge() {
  [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$2" ]]
}

# --- pinned versions -----------------------------------------------------------------------

# mod_require GOMOD MODULE: the version of MODULE required by GOMOD.
mod_require() {
  awk -v m="$2" '
    $1 == "require" && $2 == m { print $3; exit }
    $1 == m && $2 ~ /^v/ { print $2; exit }
  ' "$1"
}

k8s_version() { mod_require "$SRC/kube-apiserver/go.mod" k8s.io/kubernetes; }
etcd_version() { mod_require "$SRC/etcd/go.mod" go.etcd.io/etcd/server/v3; }

# Digest of everything that determines a binary: its sources and the Go version.
source_digest() {
  local dir="$1"
  {
    "$GO" env GOVERSION
    cat "$dir/go.mod" "$dir/go.sum" "$dir/main.go"
  } | sha256sum | cut -c1-16
}

out_dir_k8s() { echo "$CACHE/k8s-$(k8s_version)"; }
out_dir_etcd() { echo "$CACHE/etcd-$(etcd_version)"; }

print_paths() {
  echo "K8S_VERSION=$(k8s_version)"
  echo "ETCD_VERSION=$(etcd_version)"
  echo "KUBE_APISERVER=$(out_dir_k8s)/kube-apiserver"
  echo "ETCD=$(out_dir_etcd)/etcd"
}

# up_to_date DIR BINARY SRC_DIR
up_to_date() {
  [[ -x "$1/$2" && -f "$1/$2.digest" && "$(cat "$1/$2.digest")" == "$(source_digest "$3")" ]]
}

# --- build ---------------------------------------------------------------------------------

# build_one NAME SRC_DIR OUT_DIR VERSION [LDFLAGS...]
build_one() {
  local name="$1" dir="$2" out="$3" version="$4"
  shift 4
  local ldflags="-s -w $*"
  local jobs="${KUBEIAM_E2E_BUILD_JOBS:-}"
  if [[ -z "$jobs" ]]; then
    jobs="$(nproc 2>/dev/null || echo 2)"
    ((jobs > 4)) && jobs=4
  fi

  log "$name $version: downloading Go modules (GOPROXY=$("$GO" env GOPROXY))"
  if ! (cd "$dir" && "$GO" mod download 2> >(sed 's/^/  /' >&2)); then
    die_prereq "could not download the Go modules of $name $version.
  The build needs the Go module proxy ($("$GO" env GOPROXY)) or a module cache that already
  holds them ($("$GO" env GOMODCACHE))."
  fi

  local total
  # All packages, the standard library included (-trimpath builds get their own copy of it);
  # on a warm cache fewer are compiled, so this is an upper bound.
  total="$( (cd "$dir" && "$GO" list -deps .) | grep -c .)" || total="?"
  log "$name $version: compiling about $total packages with $jobs jobs (this takes minutes on a cold cache)"

  mkdir -p "$out"
  local tmp="$out/.$name.tmp.$$"
  # go build -v names each package as it is compiled (cached packages are not listed):
  # count them and report progress every 100 packages.
  set +e
  (cd "$dir" && CGO_ENABLED=0 "$GO" build -v -p "$jobs" -trimpath -ldflags "$ldflags" -o "$tmp" .) 2>&1 |
    awk -v name="$name" -v total="$total" -v start="$SECONDS" '
      function now() { return systime() }
      BEGIN { t0 = now() }
      /^[a-zA-Z0-9_.~-]+(\/[^ ]*)?$/ && !/:/ {
        n++
        if (n % 100 == 0) {
          s = now() - t0
          printf "[e2e-build] %s: compiled %d/%d packages (%dm%02ds)\n", name, n, total, s / 60, s % 60 > "/dev/stderr"
        }
        next
      }
      { print "  " $0 > "/dev/stderr" }
    '
  local status=${PIPESTATUS[0]}
  set -e
  if ((status != 0)); then
    rm -f "$tmp"
    die "go build of $name $version failed (exit $status); see the messages above."
  fi
  mv -f "$tmp" "$out/$name"
  source_digest "$dir" >"$out/$name.digest"
  log "$name $version: built $out/$name ($(du -h "$out/$name" | cut -f1))"
}

cmd_build() {
  local force=0
  for a in "$@"; do
    case "$a" in
      --force) force=1 ;;
      *) die "unknown option: $a" ;;
    esac
  done
  find_go
  mkdir -p "$CACHE"
  # One build at a time per cache (two test runs may start together).
  exec 9>"$CACHE/.lock"
  if ! flock -n 9; then
    log "another build holds $CACHE/.lock; waiting"
    flock 9
  fi

  local k8s etcd kdir edir
  k8s="$(k8s_version)"
  etcd="$(etcd_version)"
  kdir="$(out_dir_k8s)"
  edir="$(out_dir_etcd)"
  [[ -n "$k8s" && -n "$etcd" ]] || die "cannot read the pinned versions from $SRC/*/go.mod"

  if ((force == 0)) && up_to_date "$edir" etcd "$SRC/etcd"; then
    log "etcd $etcd: up to date in $edir"
  else
    build_one etcd "$SRC/etcd" "$edir" "$etcd"
  fi

  if ((force == 0)) && up_to_date "$kdir" kube-apiserver "$SRC/kube-apiserver"; then
    log "kube-apiserver $k8s: up to date in $kdir"
  else
    local minor major=1
    minor="$(echo "$k8s" | cut -d. -f2)"
    build_one kube-apiserver "$SRC/kube-apiserver" "$kdir" "$k8s" \
      "-X k8s.io/component-base/version.gitVersion=$k8s" \
      "-X k8s.io/component-base/version.gitMajor=$major" \
      "-X k8s.io/component-base/version.gitMinor=$minor" \
      "-X k8s.io/component-base/version.gitTreeState=clean" \
      "-X k8s.io/client-go/pkg/version.gitVersion=$k8s" \
      "-X k8s.io/client-go/pkg/version.gitMajor=$major" \
      "-X k8s.io/client-go/pkg/version.gitMinor=$minor"
  fi
  log "done"
  print_paths
}

cmd_paths() {
  find_go
  print_paths
  up_to_date "$(out_dir_k8s)" kube-apiserver "$SRC/kube-apiserver" &&
    up_to_date "$(out_dir_etcd)" etcd "$SRC/etcd" || exit 3
}

# --- pin -----------------------------------------------------------------------------------

cmd_pin() {
  local k8s="${1:-}" etcd="${2:-}"
  [[ "$k8s" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "usage: $0 pin v1.N.P [v3.N.P]"
  find_go
  local tmp gomod minor
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  log "reading the go.mod of k8s.io/kubernetes@$k8s"
  gomod="$(cd "$tmp" && "$GO" mod download -json "k8s.io/kubernetes@$k8s" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$k8s"
  minor="${k8s#v1.}"
  local staging
  # Every module that k8s.io/kubernetes replaces with ./staging/... must be pinned to the
  # published tag v0.N.P, or go looks for the unpublished v0.0.0.
  staging="$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$gomod" | sort -u)"
  [[ -n "$staging" ]] || die "no staging replace lines found in $gomod"
  local godirective
  godirective="$(awk '$1 == "go" { print $2; exit }' "$gomod")"

  {
    echo "// Generated by scripts/e2e-build.sh pin $k8s: edit with that command, not by hand."
    echo "module kubeiam.test/e2e/kube-apiserver"
    echo
    echo "go $godirective"
    echo
    echo "require k8s.io/kubernetes $k8s"
    echo
    echo "// Kubernetes $k8s <-> staging modules v0.$minor: one line per staging module."
    echo "replace ("
    while read -r m; do printf '\t%s => %s v0.%s\n' "$m" "$m" "$minor"; done <<<"$staging"
    echo ")"
  } >"$SRC/kube-apiserver/go.mod"
  rm -f "$SRC/kube-apiserver/go.sum"
  log "pinned $(wc -l <<<"$staging") staging modules to v0.$minor; running go mod tidy"
  (cd "$SRC/kube-apiserver" && "$GO" mod tidy)

  if [[ -z "$etcd" ]]; then
    # Default: the etcd release line Kubernetes itself requires (its etcd client version).
    etcd="$(mod_require "$gomod" go.etcd.io/etcd/client/v3)"
  fi
  [[ "$etcd" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "bad etcd version: $etcd"
  {
    echo "// Generated by scripts/e2e-build.sh pin $k8s $etcd: edit with that command, not by hand."
    echo "module kubeiam.test/e2e/etcd"
    echo
    echo "go $godirective"
    echo
    echo "require go.etcd.io/etcd/server/v3 $etcd"
  } >"$SRC/etcd/go.mod"
  rm -f "$SRC/etcd/go.sum"
  log "pinned etcd $etcd; running go mod tidy"
  (cd "$SRC/etcd" && "$GO" mod tidy)
  log "done: review and commit test/e2e/go/*/go.mod and go.sum"
}

case "${1:-build}" in
  build) shift || true; cmd_build "$@" ;;
  --force) cmd_build "$@" ;;
  paths) cmd_paths ;;
  pin) shift; cmd_pin "$@" ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command: $1 (try --help)" ;;
esac
