#!/usr/bin/env bash
# Runs the Dockerfile's build WITHOUT a Docker engine and checks the image it would produce.
#
# It interprets the Dockerfile itself (ARG, FROM ... AS, WORKDIR, COPY [--from], RUN, ENV, USER, ENTRYPOINT, CMD;
# EXPOSE/LABEL are ignored): each stage gets its own directory under a temporary root, RUN steps execute there with
# this machine's node/npm (standing in for the stage's base image), and COPY --from copies between those
# directories. So what is checked is exactly the Dockerfile's steps, not a copy of them. Then, on the final
# stage's tree:
#   - no dev tool (typescript, eslint, ...: devDependencies other than @types) was shipped, and nothing but package.json, node_modules and
#     dist/src;
#   - the ENTRYPOINT runs `--help` and `webhook --help`, as the image's USER (a non-root UID), with the tree
#     owned by root and not writable by that user (as with a read-only root filesystem);
#   - `webhook` starts and serves as that user, writing only to TMPDIR (the chart's /tmp emptyDir), then stops
#     cleanly on SIGTERM.
# Prints the runtime tree's size. Needs node, npm, jq, setpriv (util-linux). Uses npm's cache when it can.
#
# Usage: scripts/check-image-build.sh [--keep]     (--keep leaves the temporary directory for inspection)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKERFILE="$ROOT/Dockerfile"
KEEP=0
[[ "${1:-}" == "--keep" ]] && KEEP=1

log() { printf '[image-check] %s\n' "$*"; }
die() { printf '[image-check] FAIL: %s\n' "$*" >&2; exit 1; }
for cmd in node npm jq setpriv; do command -v "$cmd" >/dev/null || die "$cmd is required"; done
[[ -f "$DOCKERFILE" ]] || die "no Dockerfile at $DOCKERFILE"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ecr-anywhere-image.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; fi
  if ((KEEP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# The image's user must be able to reach the tree, as in a container where / is readable by all.
chmod 755 "$WORK"
export npm_config_prefer_offline=true npm_config_update_notifier=false

# ------------------------------------------------------------------ interpreter
declare -A ARGS=() STAGE_DIR=()
declare -a ENV_KV=()
stage="" stage_root="" workdir="/" user="" entrypoint="" cmd_json="" stages=0

substitute() { # expands ${NAME} and $NAME from ARGs
  local text="$1" name
  for name in "${!ARGS[@]}"; do
    text="${text//\$\{$name\}/${ARGS[$name]}}"
    text="${text//\$$name/${ARGS[$name]}}"
  done
  printf '%s' "$text"
}
in_stage() { # maps a path inside the current stage to the host
  local path="$1"
  [[ "$path" == /* ]] || path="${workdir%/}/$path"
  printf '%s%s' "$stage_root" "$path"
}

do_copy() {
  local from="" words=() word
  read -r -a words <<<"$1"
  while [[ "${words[0]}" == --* ]]; do
    case "${words[0]}" in
      --from=*) from="${words[0]#--from=}" ;;
      --chown=* | --chmod=* | --link) ;;
      *) die "COPY option ${words[0]} is not supported by this script" ;;
    esac
    words=("${words[@]:1}")
  done
  ((${#words[@]} >= 2)) || die "COPY needs a source and a destination: $1"
  local dest="${words[-1]}" sources=("${words[@]:0:${#words[@]}-1}") host_dest
  host_dest="$(in_stage "$dest")"
  for word in "${sources[@]}"; do
    local src
    if [[ -n "$from" ]]; then
      [[ -n "${STAGE_DIR[$from]:-}" ]] || die "COPY --from=$from: no such stage"
      [[ "$word" == /* ]] || word="/$word"
      src="${STAGE_DIR[$from]}$word"
    else
      src="$ROOT/${word#./}"
    fi
    [[ -e "$src" ]] || die "COPY source $word does not exist"
    if [[ -d "$src" ]]; then
      mkdir -p "$host_dest"
      cp -a "$src/." "$host_dest/"
    elif [[ "$dest" == */ || ${#sources[@]} -gt 1 || -d "$host_dest" ]]; then
      mkdir -p "$host_dest"
      cp -a "$src" "$host_dest/"
    else
      mkdir -p "$(dirname "$host_dest")"
      cp -a "$src" "$host_dest"
    fi
  done
}

run_instruction() {
  local keyword="$1" rest="$2"
  case "$keyword" in
    ARG)
      local name="${rest%%=*}" value=""
      [[ "$rest" == *=* ]] && value="${rest#*=}"
      [[ -n "${ARGS[$name]:-}" && -z "$value" ]] || ARGS[$name]="$value"
      ;;
    FROM)
      local words=()
      read -r -a words <<<"$(substitute "$rest")"
      stages=$((stages + 1))
      stage="${words[2]:-stage$stages}"
      [[ "${words[1]:-}" == "" || "${words[1],,}" == "as" ]] || die "unsupported FROM: $rest"
      stage_root="$WORK/$stage"
      mkdir -p "$stage_root"
      STAGE_DIR[$stage]="$stage_root"
      workdir="/" user="" entrypoint="" cmd_json="" ENV_KV=()
      log "stage $stage (base image ${words[0]}: this machine's node $(node --version) stands in)"
      ;;
    WORKDIR) workdir="$(substitute "$rest")"; mkdir -p "$(in_stage "$workdir")" ;;
    COPY) do_copy "$(substitute "$rest")" ;;
    ENV) ENV_KV+=("$(substitute "$rest")") ;;
    USER) user="$rest" ;;
    ENTRYPOINT) entrypoint="$rest" ;;
    CMD) cmd_json="$rest" ;;
    RUN)
      log "RUN $rest"
      local t0=$SECONDS
      (cd "$(in_stage "$workdir")" && env "${ENV_KV[@]}" bash -euo pipefail -c "$rest") >"$WORK/$stage.run.log" 2>&1 ||
        { tail -n 40 "$WORK/$stage.run.log" >&2; die "RUN failed in stage $stage: $rest"; }
      log "  done in $((SECONDS - t0)) s"
      ;;
    EXPOSE | LABEL | SHELL | STOPSIGNAL | HEALTHCHECK) ;;
    *) die "instruction $keyword is not supported by this script" ;;
  esac
}

line=""
while IFS= read -r raw || [[ -n "$raw" ]]; do
  [[ "$raw" =~ ^[[:space:]]*# && -z "$line" ]] && continue
  if [[ "$raw" == *\\ ]]; then line+="${raw%\\} "; continue; fi
  line+="$raw"
  [[ "$line" =~ ^[[:space:]]*$ ]] && { line=""; continue; }
  keyword="$(awk '{print toupper($1)}' <<<"$line")"
  rest="$(sed -E 's/^[[:space:]]*[A-Za-z]+[[:space:]]+//' <<<"$line")"
  run_instruction "$keyword" "$rest"
  line=""
done <"$DOCKERFILE"

# ------------------------------------------------------------------ checks on the final stage
final="$stage_root"
[[ -n "$entrypoint" ]] || die "the final stage has no ENTRYPOINT"
[[ "$user" =~ ^[0-9]+(:[0-9]+)?$ ]] || die "the final stage's USER must be numeric (the kubelet verifies runAsNonRoot by UID), got '$user'"
uid="${user%%:*}" gid="${user#*:}"
[[ "$uid" != 0 ]] || die "the final stage runs as root"
app="$(in_stage "$workdir")"

mapfile -t top < <(cd "$app" && ls -A)
[[ "${top[*]}" == "dist node_modules package.json" ]] || die "runtime tree holds unexpected entries: ${top[*]}"
[[ -z "$(ls -A "$app/dist")" || "$(ls -A "$app/dist")" == src ]] || die "dist/ holds more than src/: $(ls -A "$app/dist")"
# Dev tools (devDependencies other than type packages, which some runtime packages depend on) must be absent.
mapfile -t dev_tools < <(jq -r '.devDependencies // {} | keys[] | select(startswith("@types/") | not)' "$app/package.json")
((${#dev_tools[@]} > 0)) || die "package.json lists no devDependencies to check against"
for dev in "${dev_tools[@]}"; do
  [[ ! -e "$app/node_modules/$dev" ]] || die "dev dependency $dev was shipped in node_modules"
done

# ENTRYPOINT in exec form: the image's node becomes this machine's, image paths map into the stage directory.
mapfile -t ep < <(jq -r '.[]' <<<"$entrypoint")
((${#ep[@]} >= 2)) || die "ENTRYPOINT must be in exec (JSON) form"
[[ "${ep[0]}" == */node ]] || die "ENTRYPOINT should start with node, got ${ep[0]}"
launch=("$(command -v node)")
for word in "${ep[@]:1}"; do
  if [[ "$word" == /* ]]; then launch+=("$final$word"); else launch+=("$word"); fi
done

# Owned by root and not writable by the image's user: like a read-only root filesystem.
chown -R 0:0 "$final"
chmod -R go-w "$final"
as_user=(setpriv --reuid="$uid" --regid="$gid" --clear-groups env -i PATH="$PATH" HOME=/nonexistent "${ENV_KV[@]}")

log "runtime tree: $(du -sh "$app" | cut -f1) ($(du -sh "$app/node_modules" | cut -f1) node_modules, $(find "$app/node_modules" -name package.json -path '*/node_modules/*/package.json' -not -path '*/node_modules/*/node_modules/*' | wc -l) top-level packages)"

help="$("${as_user[@]}" "${launch[@]}" --help 2>&1)" || die "--help failed as UID $uid: $help"
grep -q 'webhook' <<<"$help" || die "--help does not list the webhook command: $help"
webhook_help="$("${as_user[@]}" "${launch[@]}" webhook --help 2>&1)" || die "webhook --help failed: $webhook_help"
grep -q 'AWS_REGION' <<<"$webhook_help" || die "webhook --help does not mention AWS_REGION"
log "--help and webhook --help work as UID $uid from the pruned tree"

# Start the webhook like the chart's pod would (but with a throwaway certificate): only TMPDIR is writable.
tmp="$WORK/pod-tmp"
mkdir -p "$tmp"
chown "$uid:$gid" "$tmp"
"${as_user[@]}" TMPDIR="$tmp" AWS_REGION=us-east-1 "${launch[@]}" webhook --port 0 --ops-port 0 --host 127.0.0.1 \
  >"$WORK/webhook.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
  grep -q 'is serving POST /sync' "$WORK/webhook.log" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/webhook.log" >&2; die "webhook exited before serving"; }
  sleep 0.1
done
grep -q 'is serving POST /sync' "$WORK/webhook.log" || { cat "$WORK/webhook.log" >&2; die "webhook did not serve within 15 s"; }
ops_port="$(grep 'is serving POST /sync' "$WORK/webhook.log" | jq -r .opsPort)"
node -e "fetch('http://127.0.0.1:$ops_port/readyz').then(r => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))" ||
  die "webhook /readyz did not answer 200"
kill -TERM "$SERVER_PID"
code=0
wait "$SERVER_PID" || code=$?
SERVER_PID=""
((code == 0)) || { cat "$WORK/webhook.log" >&2; die "webhook exited with $code on SIGTERM"; }
log "webhook served as UID $uid (ready on the ops port), wrote only to TMPDIR, and stopped cleanly on SIGTERM"
log "OK"
