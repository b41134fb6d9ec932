#!/usr/bin/env bash
# Runs rtms-client under real Bun and Deno (`npm run check:runtimes`; CI runs it after the tests).
#
# It packs this repository (`npm pack`, building dist/ first if it is missing) and installs the tarball, with Bun
# and Deno from the npm registry (the `bun` and `deno` packages, whose platform binaries come as optional
# dependencies), into a scratch project under a temporary directory: nothing is added to this project's
# package.json or lockfile. Programs import 'rtms-client' by name there, so the published exports map is what each
# runtime resolves. Then, under each runtime, it runs:
#
#   1. test/runtimes/package-exports.mjs: every subpath loads from import and require, with the same exports;
#   2. the demo (examples/demo.ts, as `npm run demo` does): simulator + node:http app + signed webhook + a
#      scripted meeting recorded with rtms-client/media + rtms_stopped; exit code 0, the expected lines in its
#      output, and its WAV/WebVTT/chat files and its H.264 MP4s (mediabunny) valid (test/runtimes/check-recording.mjs,
#      run by Node, with ffprobe when it is on PATH);
#   3. examples/web-standard/round-trip.ts: a signed webhook round trip through client.fetchHandler() served by
#      Bun.serve / Deno.serve, with the simulator in the same runtime (health on GET/HEAD, URL validation,
#      tampered signature/body and stale timestamp refused with 401, oversized bodies with 413, streaming, stop,
#      no leaked handle);
#   4. test/runtimes/resilience.ts: JSON in binary frames, a dropped media and a dropped signaling socket repaired,
#      a silent connection caught by the idle watchdog, a stream the server ends, diagnostics channels, a frame
#      over maxPayloadBytes refused, and the event WebSocket (client.connectEvents(): OAuth token over fetch,
#      rtms_started/rtms_stopped over the socket);
#   5. test/runtimes/network.ts: the `proxy` option through an HTTP CONNECT proxy (also `proxy: 'env'` with
#      HTTP_PROXY, then NO_PROXY; and no way around it when the proxy is down), and `tls.ca` against a wss://
#      simulator with the test CA of test/fixtures/tls/;
#   6. test/runtimes/scale-out.ts: rtms-client/redis with two instances on the Redis at REDIS_URL (or a private
#      redis-server): one consumer per stream, rtms_stopped routed to the owner;
#   7. the example servers as they are written: examples/web-standard/bun.ts or deno.ts, and hono.ts (its default
#      export, served by `bun hono.ts` or `deno serve hono.ts`), each driven by the bundled CLI (`rtms-client
#      simulate`, itself run by the same runtime: URL validation, a signed meeting, rtms_stopped), then stopped
#      with SIGTERM: it must exit by itself.
#
# Exit code: 0 when everything passed; 1 on any failure. When Bun and Deno cannot be installed (no network), it
# fails in CI (CI set) and otherwise skips loudly with exit code 0. Versions: BUN_VERSION and DENO_VERSION
# (defaults below: the versions last checked; bump them deliberately). Node runs the round trip, the demo and
# programs 4-6 first, as the baseline: a failure there is the SDK's, not the runtime's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUN_VERSION=${BUN_VERSION:-1.4.5}
DENO_VERSION=${DENO_VERSION:-2.9.6}
STEP_TIMEOUT=${STEP_TIMEOUT:-60}
START=$(date +%s)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtms-runtimes.XXXXXX")
SERVER_PID=""
REDIS_PIDFILE=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -KILL -- "-$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$REDIS_PIDFILE" ] && [ -f "$REDIS_PIDFILE" ]; then kill "$(cat "$REDIS_PIDFILE")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=()
fail() {
  echo "FAIL: $1"
  FAILED+=("$1")
}
# In CI: CI set to anything but empty, 0 or false (test/redis/redis-server.ts reads it the same way).
in_ci() {
  case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in
    "" | 0 | false) return 1 ;;
    *) return 0 ;;
  esac
}
skip_or_fail() {
  if in_ci; then
    echo "FAIL: $1 (CI=${CI}: this check must run in CI)"
    exit 1
  fi
  echo ""
  echo "################################################################################################"
  echo "## SKIPPED: the Bun and Deno checks did NOT run: $1"
  echo "## (outside CI this is a skip; with CI=true it fails)"
  echo "################################################################################################"
  exit 0
}

# --- the package, as published --------------------------------------------------------------------------------
if [ ! -f dist/index.js ] || [ ! -f dist/index.cjs ] || [ ! -f dist/testing/index.js ] || [ ! -f dist/cli.js ]; then
  echo "== dist/ is missing: building"
  npm run build --silent
fi
# A dist/ older than src/ (a local run after editing) would test old code. Build a fresh copy in the scratch
# directory instead of rebuilding dist/ in place, which other processes (a test run) may be reading. CI's dist/ was
# just built by `npm run lint:package`, so CI never takes this branch.
PACK_DIR=$ROOT
if [ -n "$(find src tsup.config.ts package.json -newer dist/index.js -print -quit)" ]; then
  echo "== dist/ is older than src/: building a fresh copy in $WORK/pkg (dist/ is left as it is)"
  mkdir -p "$WORK/pkg"
  cp -R package.json tsup.config.ts tsconfig.json src testing redis media otel README.md CHANGELOG.md LICENSE "$WORK/pkg/"
  ln -s "$ROOT/node_modules" "$WORK/pkg/node_modules"
  (cd "$WORK/pkg" && npx --no-install tsup >"$WORK/build.log" 2>&1) || {
    tail -n 30 "$WORK/build.log"
    echo "FAIL: the build failed"
    exit 1
  }
  PACK_DIR=$WORK/pkg
fi
TARBALL=$(cd "$PACK_DIR" && npm pack --silent --pack-destination "$WORK" | tail -n 1)
echo "== packed $TARBALL"

cd "$WORK"
printf '{ "name": "rtms-runtime-check", "private": true, "type": "module" }\n' > package.json
echo "== installing bun@$BUN_VERSION and deno@$DENO_VERSION from the npm registry into $WORK"
PACKAGES=("./$TARBALL" "bun@$BUN_VERSION" "deno@$DENO_VERSION" "@opentelemetry/api@^1.3.0" "hono@^4" "https-proxy-agent@^9" "proxy-from-env@^2" "redis@^6" \
  "mediabunny@^1.61.0")
npm_install() { # $1: fetch retries
  timeout 180 npm install --no-audit --no-fund --no-package-lock --loglevel=error --prefer-offline \
    --fetch-retries="$1" "${PACKAGES[@]}" >"$WORK/npm-install.log" 2>&1
}
# First without retries, so that a machine with no network finds out in a second, not after npm's backoff;
# retried with backoff only when the registry answers (a transient failure).
if ! npm_install 0; then
  if ! npm view "bun@$BUN_VERSION" version --fetch-retries=0 >/dev/null 2>&1; then
    tail -n 5 "$WORK/npm-install.log"
    skip_or_fail "the npm registry cannot be reached: bun@$BUN_VERSION and deno@$DENO_VERSION cannot be installed"
  fi
  echo "== npm install failed with the registry reachable: retrying with backoff"
  if ! npm_install 3; then
    tail -n 20 "$WORK/npm-install.log"
    skip_or_fail "npm could not install bun@$BUN_VERSION and deno@$DENO_VERSION"
  fi
fi

# The packages' postinstall scripts link the binaries into node_modules/.bin; if they did not run, use the
# platform package's binary directly.
find_binary() { # $1: name, then candidate paths
  local name=$1
  shift
  for candidate in "$@"; do
    if [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "no runnable $name binary in $*" >&2
  return 1
}
BUN=$(find_binary bun "$WORK/node_modules/.bin/bun" "$WORK"/node_modules/@oven/bun-*/bin/bun) || skip_or_fail "the bun package installed no runnable binary for this platform"
DENO=$(find_binary deno "$WORK/node_modules/.bin/deno" "$WORK"/node_modules/@deno/*/deno) || skip_or_fail "the deno package installed no runnable binary for this platform"

echo "== node $(node --version)"
echo "== bun $("$BUN" --version)"
echo "== $("$DENO" --version | head -n 1)"

# The programs run from the scratch project, so 'rtms-client' resolves to the installed tarball.
cp "$ROOT/examples/demo.ts" "$ROOT/examples/web-standard/round-trip.ts" "$ROOT/examples/web-standard/bun.ts" \
  "$ROOT/examples/web-standard/deno.ts" "$ROOT/examples/web-standard/hono.ts" "$ROOT/test/runtimes/package-exports.mjs" "$ROOT/test/runtimes/resilience.ts" \
  "$ROOT/test/runtimes/check-recording.mjs" "$ROOT/test/runtimes/network.ts" "$ROOT/test/runtimes/scale-out.ts" "$ROOT/test/runtimes/harness.ts" "$ROOT/test/fixtures/tls/ca.pem" \
  "$ROOT/test/fixtures/tls/other-ca.pem" "$ROOT/test/fixtures/tls/server.pem" "$ROOT/test/fixtures/tls/server.key" "$WORK/"
CLI="$WORK/node_modules/rtms-client/dist/cli.js"

# Deno's permissions: loopback network (and 0.0.0.0, where deno.ts listens) and the environment (ws reads
# WS_NO_BUFFER_UTIL; the examples read their credentials). File access only where a step needs it: the demo writes
# its recordings directory, network.ts reads the TLS fixtures.
# shellcheck disable=SC2054 # the comma is Deno's list separator, not an array one
DENO_RUN=("$DENO" run --allow-net=127.0.0.1,0.0.0.0 --allow-env)

run_step() { # $1: label; the rest: the command. Output to $WORK/out.txt and to the console.
  local label=$1
  shift
  echo ""
  echo "== $label"
  local rc=0 started=$SECONDS
  timeout "$STEP_TIMEOUT" "$@" >"$WORK/out.txt" 2>&1 || rc=$?
  cat "$WORK/out.txt"
  echo "-- $((SECONDS - started)) s"
  if [ "$rc" -eq 124 ]; then
    fail "$label: did not finish within ${STEP_TIMEOUT}s"
  elif [ "$rc" -ne 0 ]; then
    fail "$label: exit code $rc"
  fi
  return 0
}

expect_output() { # $1: label; $2: an extended regular expression the last step's output must match
  if ! grep -Eq "$2" "$WORK/out.txt"; then fail "$1: no line matching /$2/ in its output"; fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Starts an example server, drives it with `rtms-client simulate` (run by the same runtime: CLI_CMD), then
# SIGTERMs it: it must exit by itself. The server command gets PORT in its environment and may use {PORT}.
example_with_simulate() { # $1: label; $2: health path; then the server command
  local label=$1 health=$2
  shift 2
  local port
  port=$(free_port)
  local server_cmd=()
  for arg in "$@"; do server_cmd+=("${arg//\{PORT\}/$port}"); done
  echo ""
  echo "== $label"
  # In a process group of its own (setsid): whatever the runtime starts is signalled and, at worst, killed with it.
  setsid env ZOOM_CLIENT_ID=rt-example-id ZOOM_CLIENT_SECRET=rt-example-secret ZOOM_SECRET_TOKEN=rt-example-token \
    PORT="$port" "${server_cmd[@]}" >"$WORK/server.txt" 2>&1 &
  SERVER_PID=$!
  local up=0
  for _ in $(seq 1 100); do
    if node -e "fetch('http://127.0.0.1:$port$health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))" 2>/dev/null; then
      up=1
      break
    fi
    sleep 0.1
  done
  if [ "$up" -ne 1 ]; then
    cat "$WORK/server.txt"
    fail "$label: the example did not answer its health check (GET $health) on port $port"
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    return 0
  fi
  echo "-- GET $health answered 200"
  local rc=0
  ZOOM_CLIENT_ID=rt-example-id ZOOM_CLIENT_SECRET=rt-example-secret ZOOM_SECRET_TOKEN=rt-example-token \
    timeout "$STEP_TIMEOUT" "${CLI_CMD[@]}" "$CLI" simulate --webhook "http://127.0.0.1:$port/zoom/webhook" --duration 3s \
    --validate-url >"$WORK/out.txt" 2>&1 || rc=$?
  cat "$WORK/out.txt"
  if [ "$rc" -ne 0 ]; then fail "$label: rtms-client simulate exit code $rc"; fi
  # SIGTERM: the example stops its server and closes the client; nothing may keep the process alive.
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  local exited=0
  for _ in $(seq 1 100); do
    if ! kill -0 -- "-$SERVER_PID" 2>/dev/null; then
      exited=1
      break
    fi
    sleep 0.1
  done
  echo "-- the example's output:"
  cat "$WORK/server.txt"
  if [ "$exited" -ne 1 ]; then
    fail "$label: the example (or a process it started) was still running 10 s after SIGTERM"
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  expect_output "$label" '^PASS: '
  # The examples print each transcript as `name: text`; the simulate command's script has these speakers.
  if ! grep -Eq '^(Ada Lovelace|Grace Hopper|Alan Turing): ' "$WORK/server.txt"; then fail "$label: the example printed no transcript line"; fi
  return 0
}

# Redis for rtms-client/redis: REDIS_URL when set (.ci/run starts one), else a private redis-server when there is
# one; without either the scale-out step is skipped loudly (a failure with CI=true).
if [ -z "${REDIS_URL:-}" ] && command -v redis-server >/dev/null 2>&1; then
  REDIS_PORT=$(free_port)
  REDIS_PIDFILE="$WORK/redis.pid"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --daemonize yes \
    --pidfile "$REDIS_PIDFILE" --logfile "$WORK/redis.log"
  for _ in $(seq 1 50); do
    if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
fi
if [ -z "${REDIS_URL:-}" ]; then
  if in_ci; then
    fail "no Redis (REDIS_URL unset, no redis-server): the scale-out checks cannot run"
  else
    echo "!!!!!!!! no Redis (REDIS_URL unset, no redis-server on PATH): SKIPPING the scale-out checks (a failure with CI=true) !!!!!!!!"
  fi
fi

export DEMO_DURATION_MS=3000

run_step "node: webhook round trip through fetchHandler() (baseline)" "$ROOT/node_modules/.bin/tsx" round-trip.ts
expect_output "node round trip" '^round trip under node .*: passed'
export DEMO_RECORDINGS_DIR="$WORK/recordings-node"
run_step "node: the demo (baseline)" "$ROOT/node_modules/.bin/tsx" demo.ts
expect_output "node demo" 'stopping -> stopped'
run_step "node: resilience (baseline)" "$ROOT/node_modules/.bin/tsx" resilience.ts
expect_output "node resilience" '^resilience under node .*: passed'
run_step "node: network options (baseline)" "$ROOT/node_modules/.bin/tsx" network.ts
expect_output "node network" '^network options under node .*: passed'
if [ -n "${REDIS_URL:-}" ]; then
  run_step "node: scale-out with rtms-client/redis (baseline)" "$ROOT/node_modules/.bin/tsx" scale-out.ts
  expect_output "node scale-out" '^scale-out under node .*: passed'
fi

for runtime in bun deno; do
  if [ "$runtime" = "bun" ]; then CMD=("$BUN"); else CMD=("${DENO_RUN[@]}"); fi
  run_step "$runtime: package exports (import and require of every subpath)" "${CMD[@]}" package-exports.mjs
  expect_output "$runtime package exports" "^package exports under $runtime .*: passed"
  # The demo records the meeting (rtms-client/media) into DEMO_RECORDINGS_DIR; Deno may write there and nowhere else.
  export DEMO_RECORDINGS_DIR="$WORK/recordings-$runtime"
  if [ "$runtime" = "bun" ]; then DEMO_CMD=("$BUN"); else DEMO_CMD=("${DENO_RUN[@]}" "--allow-write=$DEMO_RECORDINGS_DIR" "--allow-read=$DEMO_RECORDINGS_DIR"); fi
  run_step "$runtime: the demo (simulator, node:http app, signed webhook, scripted meeting recorded with rtms-client/media, stop)" "${DEMO_CMD[@]}" demo.ts
  expect_output "$runtime demo" 'webhook meeting.rtms_started -> HTTP 200'
  expect_output "$runtime demo" 'stopping -> stopped'
  expect_output "$runtime demo" 'transcripts received +[1-9]'
  expect_output "$runtime demo" 'audio received +[1-9][0-9]* frames'
  run_step "$runtime: the demo's recording, checked by Node" node "$WORK/check-recording.mjs" "$DEMO_RECORDINGS_DIR" "$((DEMO_DURATION_MS / 1000))" mp4
  expect_output "$runtime recording" '^recording in .*: valid'
  run_step "$runtime: signed webhook round trip through fetchHandler() on $( [ "$runtime" = bun ] && echo Bun.serve || echo Deno.serve )" "${CMD[@]}" round-trip.ts
  expect_output "$runtime round trip" "^round trip under $runtime .*: passed"
  run_step "$runtime: resilience (binary frames, media and signaling drops, half-open, server stop, the event WebSocket)" "${CMD[@]}" resilience.ts
  expect_output "$runtime resilience" "^resilience under $runtime .*: passed"
  if [ "$runtime" = "bun" ]; then NET_CMD=("$BUN"); else NET_CMD=("${DENO_RUN[@]}" "--allow-read=$WORK"); fi
  run_step "$runtime: network options (proxy through an HTTP CONNECT proxy, tls.ca against a wss:// simulator)" "${NET_CMD[@]}" network.ts
  expect_output "$runtime network" "^network options under $runtime .*: passed"
  if [ -n "${REDIS_URL:-}" ]; then
    run_step "$runtime: scale-out with rtms-client/redis (two instances, one stream, a routed rtms_stopped)" "${CMD[@]}" scale-out.ts
    expect_output "$runtime scale-out" "^scale-out under $runtime .*: passed"
  fi
  CLI_CMD=("${CMD[@]}")
  example_with_simulate "$runtime: examples/web-standard/$runtime.ts driven by 'rtms-client simulate' (under $runtime), then SIGTERM" / "${CMD[@]}" "$WORK/$runtime.ts"
  # hono.ts exports the app: Bun serves a default export with a fetch method itself, Deno with `deno serve`.
  if [ "$runtime" = "bun" ]; then HONO_CMD=("$BUN" "$WORK/hono.ts"); else HONO_CMD=("$DENO" serve --port "{PORT}" --host 127.0.0.1 --allow-net=127.0.0.1 --allow-env "$WORK/hono.ts"); fi
  example_with_simulate "$runtime: examples/web-standard/hono.ts (the default export, served by $runtime) driven by 'rtms-client simulate'" /healthz "${HONO_CMD[@]}"
done

echo ""
echo "== runtimes checked in $(($(date +%s) - START)) s: node $(node --version), bun $("$BUN" --version), $("$DENO" --version | head -n 1)"
if [ "${#FAILED[@]}" -ne 0 ]; then
  echo "== ${#FAILED[@]} failure(s):"
  printf '   - %s\n' "${FAILED[@]}"
  exit 1
fi
echo "== all runtime checks passed"
