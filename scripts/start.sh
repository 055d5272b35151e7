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
# LANEWAY_DEV_TOKEN_TTL (lifetime of the dashboard's development sign-in token, 28800 s),
# LANEWAY_BRIDGES (bridge replicas, 1: replica i serves HTTPS and WebTransport on
# LANEWAY_HTTPS_PORT + i - 1; docs/scale.md "Bridge replicas"), LANEWAY_ADMIN_PORT (9464:
# replica i serves /healthz and /metrics on 127.0.0.1:LANEWAY_ADMIN_PORT + i - 1 only).
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
bridges="${LANEWAY_BRIDGES:-1}"
[[ "$bridges" =~ ^[1-9][0-9]?$ ]] || { echo "LANEWAY_BRIDGES: 1 to 99" >&2; exit 2; }

# shellcheck source=lib/system.sh
. "$root/scripts/lib/system.sh"

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

# 3. Bridges: one development app, "dashboard"; the dashboard and the SDK bundle
# (scripts/build.sh puts them in $build/web) are served by every replica at / when built.
replica_urls=""
for ((i = 1; i <= bridges; i++)); do replica_urls+="https://$bind:$((https_port + i - 1)) "; done
for ((i = 1; i <= bridges; i++)); do
  write_bridge_config "$bind" "$((https_port + i - 1))" "$bind" "$mqtt_port" "[]" "$i" "$replica_urls"
  start_bridge "$bind" "$((https_port + i - 1))" "$i"
done

# 4. The provisioning service: signs CSRs that devices holding the demo claim certificate
# send, registers them (group demo), replies with their certificate; records presence.
ensure_demo_claim
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

dashboard_line=""
for ((i = 1; i <= bridges; i++)); do
  dashboard_line+="$(dashboard_line "$bind" "$((https_port + i - 1))")"$'\n'
done
bridge_lines=""
for ((i = 2; i <= bridges; i++)); do
  bridge_lines+=$'\n'"  bridge $i https://$bind:$((https_port + i - 1))/api/info   (log $(bridge_log_file "$i"); WebTransport on UDP $((https_port + i - 1)); metrics https://127.0.0.1:$(admin_port "$i")/metrics)"
done

cat <<INFO

laneway is running (state in $state):
  broker   mqtts://$bind:$mqtt_port   (mosquitto + laneway plugin; log $state/mosquitto.log)
  bridge   https://$bind:$https_port/api/info   (log $state/bridge.log)
  metrics  https://127.0.0.1:$(admin_port 1)/metrics   (and /healthz: the admin listener, loopback only)
  wt       https://$bind:$https_port/v1/wt   (WebTransport over UDP $https_port; certificate hashes in /api/info)$bridge_lines
  fleet    $devices simulated devices (d-000001...) publishing on devices/<id>/telemetry (log $state/fleet.log)
           $claim_devices more (c-000001...) provisioned through the claim flow (log $state/fleet-claim.log)
  serve    provisioning service for claim demo-claim (log $state/serve.log); a device of your own:
           $fleet enroll --pki $state/pki --claim $state/pki/claims/demo-claim --id my-device --host $bind --port $mqtt_port
           $fleet device show --pki $state/pki --registry $state/fleet.db --host $bind --port $mqtt_port --id my-device
${dashboard_line%$'\n'}
Trust the development CA to open it without warnings: $state/pki/ca.crt
  (Chromium/Chrome: Settings > Privacy and security > Security > Manage certificates >
  Authorities > Import; Firefox: Settings > Certificates > View Certificates > Authorities >
  Import; curl --cacert $state/pki/ca.crt ...).
Watch the wire: mosquitto_sub -h $bind -p $mqtt_port --cafile $state/pki/ca.crt \\
  --cert $state/pki/services/operator-admin.crt --key $state/pki/services/operator-admin.key -t 'devices/#' -v
Ctrl-C stops everything.
INFO

run_until_stopped
