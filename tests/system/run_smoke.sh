#!/usr/bin/env bash
# Smoke test of the README run command's system start (scripts/start.sh) on free loopback
# ports: the broker takes a device's telemetry, the plugin turns it into an envelope on
# $lw/env, the bridge answers /api/info (and /healthz only on its loopback admin port),
# devices provision themselves through the claim flow
# (laneway-fleet serve), and everything stops when the run ends.
#   tests/system/run_smoke.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
state="$(mktemp -d /tmp/laneway-smoke-XXXXXX)"
trap 'rm -rf "$state"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(free_port)
https_port=$(free_port)
admin_port=$(free_port)

LANEWAY_MQTT_PORT=$mqtt_port LANEWAY_HTTPS_PORT=$https_port LANEWAY_ADMIN_PORT=$admin_port LANEWAY_DEVICES=2 LANEWAY_CLAIM_DEVICES=2 \
  LANEWAY_RUN_SECONDS=15 "$root/scripts/start.sh" "$build" "$state" >"$state/start.out" 2>&1 &
start_pid=$!
fail() { echo "smoke: $*" >&2; cat "$state/start.out" "$state"/*.log >&2 2>/dev/null || true; kill "$start_pid" 2>/dev/null; exit 1; }

for _ in $(seq 200); do grep -q "laneway is running" "$state/start.out" 2>/dev/null && break; sleep 0.1; done
grep -q "Dashboard URL: https://127.0.0.1:$https_port/" "$state/start.out" || fail "system did not start"

info=$(curl -fsS --max-time 5 --cacert "$state/pki/ca.crt" "https://127.0.0.1:$https_port/api/info") ||
  fail "/api/info did not answer"
echo "$info" | grep -q '"transports"' || fail "/api/info has no transports: $info"
health=$(curl -fsS --max-time 5 --cacert "$state/pki/ca.crt" "https://127.0.0.1:$admin_port/healthz") ||
  fail "the admin listener's /healthz did not answer"
echo "$health" | grep -q '"status":"ok"' || fail "admin /healthz: $health"
public=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$state/pki/ca.crt" \
  "https://127.0.0.1:$https_port/metrics") || true
[ "$public" = 404 ] || fail "/metrics on the public port answered $public, not 404"

# One envelope of a simulated device's telemetry, as a fleet app sees the wire.
envelope=$(mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" --cafile "$state/pki/ca.crt" \
  --cert "$state/pki/services/operator-admin.crt" --key "$state/pki/services/operator-admin.key" \
  -t '$lw/env/devices/+/telemetry' -C 1 -W 10 -v) || fail "no envelope on \$lw/env within 10 s"
case "$envelope" in
  '$lw/env/devices/d-00000'[12]'/telemetry '* | '$lw/env/devices/c-00000'[12]'/telemetry '*) ;;
  *) fail "unexpected envelope: $envelope" ;;
esac

# The claim flow: both claim devices were provisioned by serve and registered.
for _ in $(seq 100); do grep -q "claim provisioned=2" "$state/fleet-claim.log" 2>/dev/null && break; sleep 0.1; done
grep -q "claim provisioned=2 already=0 failed=0" "$state/fleet-claim.log" ||
  fail "claim devices were not provisioned"
shown=$("$build/fleet/laneway-fleet" device show --registry "$state/fleet.db" --id c-000001 --registry-only) ||
  fail "device show c-000001 failed: $shown"
case "$shown" in
  *"provisioned_by: claim demo-claim"*) ;;
  *) fail "c-000001 is not registered through the claim: $shown" ;;
esac

wait "$start_pid" || fail "start.sh exited non-zero"
! pgrep -f "$state/mosquitto.conf" >/dev/null || fail "mosquitto still running after the run ended"
! pgrep -f "$state/bridge.json" >/dev/null || fail "laneway-bridge still running after the run ended"
! pgrep -f "$state/fleet.db" >/dev/null || fail "the simulator or serve still running after the run ended"
! pgrep -f "$state/claimed" >/dev/null || fail "the claim simulator still running after the run ended"
echo "smoke: system started, served /api/info and envelopes, and stopped cleanly"
