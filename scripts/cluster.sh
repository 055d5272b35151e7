#!/usr/bin/env bash
# Starts a laneway cluster on this machine for development and demos (docs/scale.md), each
# "host" in a network namespace of its own with its own address on a private /24:
#   core     mosquitto + plugin, role core (index 0): sequences, owns the registry
#   core-2   the standby core (index 1), same registry file
#   edge-a   mosquitto + plugin, role edge, bridged to both cores
#   edge-b   the same
# and in this namespace, on 127.0.0.1: laneway-bridge (broker: core, standby: core-2), the
# provisioning service (on the core) and a simulated fleet spread over both edges, each
# device knowing both edge addresses so it fails over. Prints the same URLs as start.sh and
# stops everything by PID, and removes the namespaces, on Ctrl-C (or LANEWAY_RUN_SECONDS).
# Needs root (ip netns).
#
#   scripts/cluster.sh [BUILD_DIR=build] [STATE_DIR=run-cluster]
#
# Environment: LANEWAY_HTTPS_PORT (8443), LANEWAY_ADMIN_PORT (9464: the bridge's /healthz and
# /metrics, on 127.0.0.1 only), LANEWAY_DEVICES (20), LANEWAY_CLAIM_DEVICES (5),
# LANEWAY_RUN_SECONDS, LANEWAY_DEV_TOKEN_TTL, LANEWAY_CLUSTER_SUBNET (10.231.250: the
# first three octets of the /24 the hosts use; it must not be in use on this machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
state="${2:-$root/run-cluster}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
https_port="${LANEWAY_HTTPS_PORT:-8443}"
bind=127.0.0.1
devices="${LANEWAY_DEVICES:-20}"
claim_devices="${LANEWAY_CLAIM_DEVICES:-5}"
subnet="${LANEWAY_CLUSTER_SUBNET:-10.231.250}"
[ "$(id -u)" -eq 0 ] || { echo "cluster: network namespaces need root" >&2; exit 1; }
if ip -4 route show table all | grep -q "$subnet\."; then
  echo "cluster: $subnet.0/24 is already routed here; set LANEWAY_CLUSTER_SUBNET" >&2
  exit 1
fi

# shellcheck source=lib/system.sh
. "$root/scripts/lib/system.sh"

# 1. The hosts: a switch namespace with a Linux bridge, one veth per host into it, one from
# this namespace (address .1). Removed, with every veth, when the script ends.
ns_prefix="lwcluster$$"
hosts=(core core-2 edge-a edge-b)
declare -A address=([core]="$subnet.2" [core-2]="$subnet.3" [edge-a]="$subnet.4" [edge-b]="$subnet.5")
remove_namespaces() {
  local h
  for h in "${hosts[@]}" switch; do ip netns del "$ns_prefix-$h" 2>/dev/null || true; done
}
after_stop+=(remove_namespaces)
ip netns add "$ns_prefix-switch"
ip -n "$ns_prefix-switch" link add br0 type bridge
ip -n "$ns_prefix-switch" link set br0 up
ip link add "lwc$$" type veth peer name uplink netns "$ns_prefix-switch"
ip -n "$ns_prefix-switch" link set uplink master br0 up
ip addr add "$subnet.1/24" dev "lwc$$"
ip link set "lwc$$" up
n=0
for h in "${hosts[@]}"; do
  n=$((n + 1))
  ip netns add "$ns_prefix-$h"
  ip -n "$ns_prefix-$h" link set lo up
  ip -n "$ns_prefix-switch" link add "h$n" type veth peer name eth0 netns "$ns_prefix-$h"
  ip -n "$ns_prefix-switch" link set "h$n" master br0 up
  ip -n "$ns_prefix-$h" addr add "${address[$h]}/24" dev eth0
  ip -n "$ns_prefix-$h" link set eth0 up
done
# `ip netns exec` execs the command, so $! of `ip netns exec ... &` is the server's own PID.

# 2. PKI (first run only) and registry: a server certificate per host for its address, an
# edge certificate per edge, and each edge's own copy of only what an edge holds.
"$root/certs/scripts/dev_pki.sh" "$certs" "$state/pki"
"$registry" --db "$state/fleet.db" init >/dev/null
for h in "${hosts[@]}"; do
  [ -f "$state/pki/servers/$h.crt" ] && openssl x509 -noout -text -in "$state/pki/servers/$h.crt" |
    grep -q "IP Address:${address[$h]}" ||
    "$certs" server --dir "$state/pki" --name "$h" --dns localhost --ip "${address[$h]}" --force >/dev/null
done
for e in edge-a edge-b; do
  [ -f "$state/pki/services/edge-$e.crt" ] ||
    "$certs" service --dir "$state/pki" --role edge --id "$e" >/dev/null
  mkdir -p "$state/$e/pki/servers" "$state/$e/pki/services"
  cp "$state/pki/ca.crt" "$state/pki/crl.pem" "$state/$e/pki/"
  cp "$state/pki/servers/$e".{crt,key} "$state/$e/pki/servers/"
  cp "$state/pki/services/edge-$e".{crt,key} "$state/$e/pki/services/"
done

# 3. The brokers, each in its host, on 8883 like production.
user_args=()
[ "$(id -u)" -ne 0 ] || user_args=(--user root)
index=0
for c in core core-2; do
  "$broker_config" --role core --core-index "$index" --pki "$state/pki" --server-name "$c" \
    --registry "$state/fleet.db" --data-dir "$state/$c/data" --bind "${address[$c]}" \
    --plugin "$build/plugin/laneway_plugin.so" --log-dest stderr "${user_args[@]}" -o "$state/$c.conf"
  ip netns exec "$ns_prefix-$c" mosquitto -c "$state/$c.conf" >"$state/$c.log" 2>&1 &
  pids+=($!)
  index=$((index + 1))
done
for e in edge-a edge-b; do
  "$broker_config" --role edge --edge-name "$e" --core "${address[core]}:8883" \
    --core "${address[core-2]}:8883" --pki "$state/$e/pki" --server-name "$e" \
    --data-dir "$state/$e/data" --bind "${address[$e]}" \
    --plugin "$build/plugin/laneway_plugin.so" --log-dest stderr "${user_args[@]}" -o "$state/$e.conf"
  ip netns exec "$ns_prefix-$e" mosquitto -c "$state/$e.conf" >"$state/$e.log" 2>&1 &
  pids+=($!)
done
for e in edge-a edge-b; do
  wait_for "$e's registry copy from the core" 150 grep -q "registry copy complete" "$state/$e.log"
done

# 4. The bridge (on the core, with the standby), the provisioning service and the fleet.
write_bridge_config "$bind" "$https_port" "${address[core]}" 8883 \
  "[{\"host\": \"${address[core-2]}\", \"port\": 8883}]"
start_bridge "$bind" "$https_port"
ensure_demo_claim
"$fleet" serve --pki "$state/pki" --registry "$state/fleet.db" --host "${address[core]}" --port 8883 \
  --claim-rate 50 --claim-burst 100 >"$state/serve.log" 2>&1 &
pids+=($!)
wait_for "laneway-fleet serve" 100 grep -q "serving provision" "$state/serve.log"
edges=(--host "${address[edge-a]}" --port 8883 --also "${address[edge-b]}:8883")
"$fleet" simulate --devices "$devices" --pki "$state/pki" --registry "$state/fleet.db" \
  "${edges[@]}" --prefix d- --group demo --rate 0.5 --stats-interval 0 >"$state/fleet.log" 2>&1 &
pids+=($!)
if [ "$claim_devices" -gt 0 ]; then
  "$fleet" simulate --devices "$claim_devices" --pki "$state/pki" --claim "$state/pki/claims/demo-claim" \
    --store "$state/claimed" "${edges[@]}" --prefix c- --group demo --rate 0.5 --stats-interval 0 \
    >"$state/fleet-claim.log" 2>&1 &
  pids+=($!)
fi

dashboard_line="$(dashboard_line "$bind" "$https_port")"
cat <<INFO

laneway cluster is running (state in $state; namespaces $ns_prefix-*):
  core     mqtts://${address[core]}:8883     (sequencer; log $state/core.log)
  core-2   mqtts://${address[core-2]}:8883     (standby; log $state/core-2.log)
  edge-a   mqtts://${address[edge-a]}:8883     (devices; log $state/edge-a.log)
  edge-b   mqtts://${address[edge-b]}:8883     (devices; log $state/edge-b.log)
  bridge   https://$bind:$https_port/api/info   (log $state/bridge.log)
  metrics  https://127.0.0.1:$(admin_port 1)/metrics   (and /healthz: the admin listener, loopback only)
  fleet    $devices simulated devices (d-000001...) spread over both edges (log $state/fleet.log)
           $claim_devices more (c-000001...) provisioned through the claim flow via the edges (log $state/fleet-claim.log)
$dashboard_line
Trust the development CA to open it without warnings: $state/pki/ca.crt
Watch the wire at the core: mosquitto_sub -h ${address[core]} -p 8883 --cafile $state/pki/ca.crt \\
  --cert $state/pki/services/operator-admin.crt --key $state/pki/services/operator-admin.key -t '\$lw/env/#' -v
Fail over: kill the core (kill \$(pgrep -f $state/core.conf)); edges and bridge move to core-2.
Ctrl-C stops everything.
INFO

run_until_stopped
