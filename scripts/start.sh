#!/usr/bin/env bash
# Starts the laneway system from a build folder: development PKI (first run only), registry,
# mosquitto with the laneway plugin, laneway-bridge, the provisioning service
# (laneway-fleet serve) and a simulated fleet (part of it provisioned through the claim
# flow); prints the URLs, then runs until Ctrl-C (or LANEWAY_RUN_SECONDS) and stops
# everything it started, by PID.
#
#   scripts/start.sh [BUILD_DIR=build] [STATE_DIR=run]
#
# Environment: LANEWAY_MQTT_PORT (8883), LANEWAY_HTTPS_PORT (8443), LANEWAY_BIND
# (127.0.0.1: a development PKI has no business on a public interface), LANEWAY_DEVICES
# (simulated devices with certificates issued directly, 20), LANEWAY_CLAIM_DEVICES (more
# simulated devices that provision themselves through the claim flow, 5),
# LANEWAY_RUN_SECONDS (stop after N seconds; default: until Ctrl-C),
# LANEWAY_DEV_TOKEN_TTL (lifetime of the dashboard's development sign-in token, 28800 s).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
state="${2:-$root/run}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
mqtt_port="${LANEWAY_MQTT_PORT:-8883}"
https_port="${LANEWAY_HTTPS_PORT:-8443}"
bind="${LANEWAY_BIND:-127.0.0.1}"
devices="${LANEWAY_DEVICES:-20}"
claim_devices="${LANEWAY_CLAIM_DEVICES:-5}"

certs="$build/certs/laneway-certs"
registry="$build/fleet/registry/laneway-registry"
fleet="$build/fleet/laneway-fleet"
broker_config="$build/plugin/config/laneway-broker-config"
bridge="$build/bridge/laneway-bridge"
for tool in "$certs" "$registry" "$fleet" "$broker_config" "$bridge"; do
  [ -x "$tool" ] || { echo "start: $tool is missing; build first (scripts/build.sh)" >&2; exit 1; }
done

pids=()
sleeper=""  # the background sleep of nap(), below
# Last started, first stopped: the bridge leaves the broker (and writes its history) while
# the broker still runs, so the broker keeps its session for the next start.
stop_all() {
  trap - EXIT INT TERM
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'echo; echo "laneway: stopping"; exit 0' INT TERM

wait_for() {  # wait_for WHAT TRIES COMMAND...: bounded polling, 0.1 s apart
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "start: $what did not come up; see $state/*.log" >&2
  exit 1
}

# 1. PKI and registry (created on the first run, reused after).
"$root/certs/scripts/dev_pki.sh" "$certs" "$state/pki"
"$registry" --db "$state/fleet.db" init >/dev/null

# 2. Broker: mosquitto with the laneway plugin, TLS only.
user_args=()
[ "$(id -u)" -ne 0 ] || user_args=(--user root)
"$broker_config" --pki "$state/pki" --registry "$state/fleet.db" --data-dir "$state/data" \
  --port "$mqtt_port" --bind "$bind" --plugin "$build/plugin/laneway_plugin.so" \
  "${user_args[@]}" -o "$state/mosquitto.conf"
mosquitto -c "$state/mosquitto.conf" >"$state/mosquitto.log" 2>&1 &
pids+=($!)
wait_for "mosquitto on $bind:$mqtt_port" 100 bash -c "exec 3<>/dev/tcp/$bind/$mqtt_port"

# 3. Bridge: one development app, "dashboard", with an HS256 secret made on the first run.
[ -f "$state/dashboard.secret" ] || { head -c 32 /dev/urandom | base64 | tr -d '\n' >"$state/dashboard.secret"; chmod 600 "$state/dashboard.secret"; }
# The dashboard and the SDK bundle (scripts/build.sh puts them in $build/web) are served by
# the bridge at / when built.
web_root_line=""
[ -f "$build/web/index.html" ] && web_root_line="\"web_root\": \"$build/web\","
cat >"$state/bridge.json" <<JSON
{
  "listen": [{"host": "$bind", "port": $https_port}],
  "public_url": "https://$bind:$https_port",
  $web_root_line
  "tls": {"cert": "pki/servers/bridge.crt", "key": "pki/servers/bridge.key"},
  "broker": {"host": "$bind", "port": $mqtt_port, "ca": "pki/ca.crt",
             "cert": "pki/services/bridge-bridge-1.crt", "key": "pki/services/bridge-bridge-1.key",
             "client_id": "bridge-1", "state_file": "bridge-broker-filters"},
  "history": {"snapshot_file": "bridge-history"},
  "apps": [{"id": "dashboard",
            "keys": [{"alg": "HS256", "secret_file": "dashboard.secret"}],
            "origins": ["https://$bind:$https_port", "https://localhost:$https_port"],
            "subscribe": ["devices/#", "fleet/#", "broadcast/#"],
            "publish": ["devices/+/cmd", "fleet/#", "broadcast/#"],
            "rpc": ["devices/+/rpc/#"]}],
  "webtransport": {"enabled": true, "hosts": ["$bind"], "port": $https_port,
                   "cert": "pki/wt/wt.crt", "key": "pki/wt/wt.key"}
}
JSON
"$bridge" --config "$state/bridge.json" >"$state/bridge.log" 2>&1 &
pids+=($!)
wait_for "laneway-bridge on $bind:$https_port" 100 \
  curl -fsS --cacert "$state/pki/ca.crt" "https://$bind:$https_port/healthz"

# 4. The provisioning service: signs CSRs that devices holding the demo claim certificate
# send, registers them (group demo), replies with their certificate; records presence.
[ -f "$state/pki/claims/demo-claim.crt" ] ||
  "$certs" claim --dir "$state/pki" --batch demo-claim >/dev/null
"$fleet" claim add --registry "$state/fleet.db" --batch demo-claim --allowed 1000 --days 365 \
  --group demo >/dev/null
"$fleet" serve --pki "$state/pki" --registry "$state/fleet.db" --host "$bind" --port "$mqtt_port" \
  --claim-rate 50 --claim-burst 100 >"$state/serve.log" 2>&1 &
pids+=($!)
wait_for "laneway-fleet serve" 100 grep -q "serving provision" "$state/serve.log"

# 5. The simulated fleet: one process, one event loop, every device on its own mTLS
# connection with a certificate issued and registered on first use; plus devices that
# provision themselves through the claim flow (their identities stay in $state/claimed).
"$fleet" simulate --devices "$devices" --pki "$state/pki" --registry "$state/fleet.db" \
  --host "$bind" --port "$mqtt_port" --prefix d- --group demo --rate 0.5 --stats-interval 0 \
  >"$state/fleet.log" 2>&1 &
pids+=($!)
if [ "$claim_devices" -gt 0 ]; then
  "$fleet" simulate --devices "$claim_devices" --pki "$state/pki" --claim "$state/pki/claims/demo-claim" \
    --store "$state/claimed" --host "$bind" --port "$mqtt_port" --prefix c- --group demo \
    --rate 0.5 --stats-interval 0 >"$state/fleet-claim.log" 2>&1 &
  pids+=($!)
fi

# A development sign-in link for the dashboard: a short-lived token for app "dashboard"
# minted from its secret, carried in the URL fragment (never sent to the server or logged).
if [ -n "$web_root_line" ]; then
  dev_token="$(node "$root/bridge/web/dashboard/scripts/dev_token.js" --secret-file "$state/dashboard.secret" \
    --app dashboard --sub operator --ttl "${LANEWAY_DEV_TOKEN_TTL:-28800}")"
  dashboard_line="Dashboard URL: https://$bind:$https_port/#token=$dev_token
  (sign-in link with a development token valid $(( ${LANEWAY_DEV_TOKEN_TTL:-28800} / 3600 )) h; rerun start.sh for a new one)"
else
  dashboard_line="Dashboard URL: https://$bind:$https_port/  (not built: $build/web is missing, scripts/build.sh builds it)"
fi

cat <<INFO

laneway is running (state in $state):
  broker   mqtts://$bind:$mqtt_port   (mosquitto + laneway plugin; log $state/mosquitto.log)
  bridge   https://$bind:$https_port/api/info   (log $state/bridge.log)
  metrics  https://$bind:$https_port/metrics
  wt       https://$bind:$https_port/v1/wt   (WebTransport over UDP $https_port; certificate hashes in /api/info)
  fleet    $devices simulated devices (d-000001...) publishing on devices/<id>/telemetry (log $state/fleet.log)
           $claim_devices more (c-000001...) provisioned through the claim flow (log $state/fleet-claim.log)
  serve    provisioning service for claim demo-claim (log $state/serve.log); a device of your own:
           $fleet enroll --pki $state/pki --claim $state/pki/claims/demo-claim --id my-device --host $bind --port $mqtt_port
           $fleet device show --pki $state/pki --registry $state/fleet.db --host $bind --port $mqtt_port --id my-device
$dashboard_line
Trust the development CA to open it without warnings: $state/pki/ca.crt
  (Chromium/Chrome: Settings > Privacy and security > Security > Manage certificates >
  Authorities > Import; Firefox: Settings > Certificates > View Certificates > Authorities >
  Import; curl --cacert $state/pki/ca.crt ...).
Watch the wire: mosquitto_sub -h $bind -p $mqtt_port --cafile $state/pki/ca.crt \\
  --cert $state/pki/services/operator-admin.crt --key $state/pki/services/operator-admin.key -t 'devices/#' -v
Ctrl-C stops everything.
INFO

# Browsers accept a pinned WebTransport certificate for at most 14 days, so while the system
# runs the certificate is reissued once it has less than 7 days left. The bridge notices the
# new files, keeps its open sessions and advertises both hashes in /api/info meanwhile.
rotate_wt_certificate_if_due() {
  openssl x509 -checkend $((7 * 86400)) -noout -in "$state/pki/wt/wt.crt" >/dev/null && return 0
  "$certs" wt-cert --dir "$state/pki" >"$state/pki/wt/wt.sha256" &&
    echo "laneway: reissued the WebTransport certificate (sha256 $(cat "$state/pki/wt/wt.sha256"))"
}

# Sleeps run in the background and are waited for: bash runs the INT/TERM trap only after a
# foreground command ends, so a `kill` of this script alone would otherwise wait out the
# hour; `wait` returns at once on a signal (and stop_all ends the sleep).
nap() {
  sleep "$1" &
  sleeper=$!
  wait "$sleeper"
}
if [ -n "${LANEWAY_RUN_SECONDS:-}" ]; then
  nap "$LANEWAY_RUN_SECONDS"
else
  while true; do
    nap 3600
    rotate_wt_certificate_if_due || echo "laneway: could not reissue the WebTransport certificate" >&2
  done
fi
