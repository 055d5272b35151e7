#!/usr/bin/env bash
# Smoke test of scripts/cluster.sh (docs/scale.md): the cluster comes up in its network
# namespaces, devices on the edges publish and the core's envelopes carry their origin, the
# bridge on the core answers, claim devices provision through the edges, and everything
# (processes and namespaces) is gone when the run ends.
#   tests/system/cluster_smoke.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = true ] && { echo "cluster smoke: needs root for network namespaces" >&2; exit 1; }
  echo "cluster smoke: skipped, network namespaces need root"
  exit 0
fi
state="$(mktemp -d /tmp/laneway-cluster-smoke-XXXXXX)"
trap 'rm -rf "$state"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
https_port=$(free_port)
admin_port=$(free_port)
# The subnet is picked and routed under the lock the test labs take too
# (tests/support/network_lab.cc), so parallel tests never pick the same one.
exec 9>/run/lock/laneway-netlab.lock
flock 9
routes=$(ip -4 route show table all)
subnet=""
for _ in $(seq 50); do
  candidate="10.231.$((RANDOM % 250 + 1))"
  case "$routes" in *"$candidate."*) ;; *) subnet=$candidate; break ;; esac
done
[ -n "$subnet" ] || { echo "cluster smoke: no free 10.231.N.0/24" >&2; exit 1; }

LANEWAY_HTTPS_PORT=$https_port LANEWAY_ADMIN_PORT=$admin_port LANEWAY_CLUSTER_SUBNET=$subnet LANEWAY_DEVICES=4 \
  LANEWAY_CLAIM_DEVICES=2 LANEWAY_RUN_SECONDS=20 \
  "$root/scripts/cluster.sh" "$build" "$state" >"$state/cluster.out" 2>&1 &
cluster_pid=$!
for _ in $(seq 100); do ip -4 route show | grep -q "^$subnet.0/24" && break; sleep 0.1; done
exec 9>&-  # routed (or cluster.sh failed, which the checks below report): release the lock
fail() {
  echo "cluster smoke: $*" >&2
  cat "$state/cluster.out" "$state"/*.log >&2 2>/dev/null || true
  kill "$cluster_pid" 2>/dev/null
  wait "$cluster_pid" 2>/dev/null  # it stops its processes and namespaces before the rm
  exit 1
}

for _ in $(seq 300); do grep -q "laneway cluster is running" "$state/cluster.out" 2>/dev/null && break; sleep 0.1; done
grep -q "Dashboard URL: https://127.0.0.1:$https_port/" "$state/cluster.out" || fail "cluster did not start"
curl -fsS --max-time 5 --cacert "$state/pki/ca.crt" "https://127.0.0.1:$admin_port/healthz" |
  grep -q '"broker_connected":true' || fail "the bridge is not on the core"

# Envelopes at the core, each naming its device (topic and origin are in clear text inside
# the frame), and both edges serving some of the devices (they start spread over the two and
# move on when refused, as they are until the edge has their registry record).
for id in d-000001 d-000002; do
  envelope=$(mosquitto_sub -h "$subnet.2" -p 8883 --cafile "$state/pki/ca.crt" \
    --cert "$state/pki/services/operator-admin.crt" --key "$state/pki/services/operator-admin.key" \
    -t "\$lw/env/devices/$id/telemetry" -C 1 -W 10) || fail "no envelope for $id at the core"
  case "$envelope" in *"$id"*) ;; *) fail "envelope of $id does not name it" ;; esac
done
for edge in edge-a edge-b; do
  grep -q "New client connected from $subnet.1:[0-9]* as d-0000" "$state/$edge.log" ||
    fail "no simulated device on $edge"
done

for _ in $(seq 100); do grep -q "claim provisioned=2" "$state/fleet-claim.log" 2>/dev/null && break; sleep 0.1; done
grep -q "claim provisioned=2 already=0 failed=0" "$state/fleet-claim.log" ||
  fail "claim devices were not provisioned through the edges"

wait "$cluster_pid" || fail "cluster.sh exited non-zero"
! pgrep -f "$state/" >/dev/null || fail "processes of the cluster still running after the run ended"
! ip netns list | grep -q "lwcluster$cluster_pid-" || fail "namespaces left behind"
echo "cluster smoke: cluster started, carried envelopes from both edges, and stopped cleanly"
