#!/usr/bin/env bash
# Shared helpers for the node bootstrap scripts (sourced, never run on its own): logging, steps
# that stop the whole bootstrap with one line naming what failed, polling with a limit, checks of
# the configuration the startup script hands over, and writes that only touch a file when its
# content changes (so a re-run on every boot changes nothing).

# Tests point BOOTSTRAP_ROOT at a temporary directory; on a node it is empty, so paths are real.
BOOTSTRAP_ROOT="${BOOTSTRAP_ROOT:-}"
# Polling cadence; tests set 0 so waiting costs nothing.
POLL_INTERVAL_SECONDS="${POLL_INTERVAL_SECONDS:-5}"
METADATA_URL="${METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
CURRENT_STEP=""

log() {
  printf 'k8s-bootstrap[%s]: %s\n' "${BOOTSTRAP_ROLE:-node}" "$*"
}

die() {
  printf 'k8s-bootstrap[%s]: ERROR: %s\n' "${BOOTSTRAP_ROLE:-node}" "$*" >&2
  exit 1
}

# Any failing command inside a step ends the run here, naming the step, instead of carrying on
# with a half-prepared node. errtrace (-E) makes the trap fire inside functions too.
on_error() {
  local status=$1 line=$2
  # Inside $(...) the failure is reported once, by the parent shell, when the substitution fails.
  if ((BASH_SUBSHELL > 0)); then
    exit "$status"
  fi
  trap - ERR
  die "step '${CURRENT_STEP:-startup}' failed (exit ${status}, line ${line}); stopping, later steps did not run"
}
trap 'on_error $? $LINENO' ERR

# step DESCRIPTION COMMAND [ARGS...]: runs one named step of the bootstrap.
step() {
  CURRENT_STEP=$1
  shift
  log "step: ${CURRENT_STEP}"
  "$@"
  CURRENT_STEP=""
}

# require_match NAME REGEX ALLOWED [secret]: the variable NAME must match REGEX; the error names
# the variable and what is allowed, and never echoes a secret value.
require_match() {
  local name=$1 pattern=$2 allowed=$3 secret=${4:-}
  local value=${!name:-}
  if [[ ! $value =~ $pattern ]]; then
    if [[ -n $secret ]]; then
      die "${name}: invalid value (hidden, it is a secret); allowed: ${allowed}"
    fi
    die "${name}: invalid value '${value}'; allowed: ${allowed}"
  fi
}

# wait_until DESCRIPTION ATTEMPTS COMMAND [ARGS...]: retries COMMAND until it succeeds, at most
# ATTEMPTS times POLL_INTERVAL_SECONDS apart; gives up with one line saying what never happened.
wait_until() {
  local what=$1 attempts=$2
  shift 2
  local attempt
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    if "$@"; then
      return 0
    fi
    sleep "${POLL_INTERVAL_SECONDS}"
  done
  die "${what}: not ready after ${attempts} attempts ${POLL_INTERVAL_SECONDS}s apart"
}

# write_if_changed PATH MODE < content: replaces PATH only when the content differs, by renaming
# a finished file over it, so a reader (the API server reloading its configuration) never sees
# half a file. Exit status 0 = written (callers restart what reads it), 1 = already up to date.
write_if_changed() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"${tmp}"
  if [[ -f $path ]] && cmp -s "${tmp}" "${path}"; then
    rm -f "${tmp}"
    return 1
  fi
  mkdir -p "$(dirname "${path}")" || die "cannot create the directory of ${path}"
  install -m "${mode}" "${tmp}" "${path}.new" || die "cannot write ${path}"
  mv -f "${path}.new" "${path}" || die "cannot write ${path}"
  rm -f "${tmp}"
  log "wrote ${path}"
  return 0
}

# metadata_put KEY VALUE: publishes VALUE as this instance's guest attribute KEY ("ns/key").
metadata_put() {
  curl -fsS --retry 3 -X PUT --data "$2" -H 'Metadata-Flavor: Google' \
    "${METADATA_URL}/instance/guest-attributes/$1"
}

# metadata_get KEY: this instance's guest attribute KEY, as the metadata server holds it.
metadata_get() {
  curl -fsS --retry 3 -H 'Metadata-Flavor: Google' "${METADATA_URL}/instance/guest-attributes/$1"
}

# Patterns shared by the role scripts' configuration checks.
# shellcheck disable=SC2034 # used by the scripts that source this file
IPV4_PATTERN='^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$'
# shellcheck disable=SC2034
NODE_NAME_PATTERN='^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$'
# shellcheck disable=SC2034
TOKEN_PATTERN='^[a-z0-9]{6}\.[a-z0-9]{16}$'
# GitHub's rules: an owner is 1-39 letters, digits or single hyphens (no leading or trailing
# hyphen); a repository name is letters, digits, '.', '_' and '-' (and not . or ..).
# shellcheck disable=SC2034
GITHUB_REPOSITORY_PATTERN='^[A-Za-z0-9]([A-Za-z0-9]|-[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$'
