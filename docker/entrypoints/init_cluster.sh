#!/usr/bin/env bash
# One-shot `cluster-pki` service of the `cluster` profile (docs/scale.md): creates what is
# missing for a core, a standby core and two edges, each a compose service reached by its
# name. The CA and certificates go to /pki; the registry, every broker config and the
# bridge config to /data; each edge gets its own copy of only what an edge holds (CA, CRL,
# its server and edge certificates) under /data/<edge>/pki, writable because the edge
# replaces the CRL with the one the core sends. Idempotent.
set -euo pipefail
# shellcheck source=bridge_config.sh
. "$(dirname "$0")/bridge_config.sh"
pki=${LANEWAY_PKI_DIR:-/pki}  # overridable so tests can run this outside a container
data=${LANEWAY_DATA_DIR:-/data}
plugin=${LANEWAY_PLUGIN:-/opt/laneway/lib/laneway_plugin.so}
claim=${LANEWAY_CLAIM:-compose-claim}
mkdir -p "$pki" "$data"
[ -f "$pki/ca.crt" ] || laneway-certs init --dir "$pki"
for host in core core-2 edge-a edge-b bridge; do
  [ -f "$pki/servers/$host.crt" ] ||
    laneway-certs server --dir "$pki" --name "$host" --dns "$host" --dns localhost --ip 127.0.0.1
done
for edge in edge-a edge-b; do
  [ -f "$pki/services/edge-$edge.crt" ] || laneway-certs service --dir "$pki" --role edge --id "$edge"
done
[ -f "$pki/services/operator-admin.crt" ] ||
  laneway-certs service --dir "$pki" --role operator --id admin
[ -f "$pki/claims/$claim.crt" ] || laneway-certs claim --dir "$pki" --batch "$claim"
laneway-certs crl --dir "$pki" >/dev/null

laneway-registry --db "$data/fleet.db" init
laneway-fleet claim add --registry "$data/fleet.db" --batch "$claim" \
  --allowed "${LANEWAY_CLAIM_ALLOWED:-10000}" --days 365 --group demo
index=0
for core in core core-2; do
  laneway-broker-config --role core --core-index "$index" --pki "$pki" --server-name "$core" \
    --registry "$data/fleet.db" --data-dir "$data/$core" --port 8883 --bind 0.0.0.0 \
    --plugin "$plugin" --user root -o "$data/$core.conf"
  index=$((index + 1))
done
for edge in edge-a edge-b; do
  own="$data/$edge/pki"
  mkdir -p "$own/servers" "$own/services"
  cp "$pki/ca.crt" "$own/"
  [ -f "$own/crl.pem" ] || cp "$pki/crl.pem" "$own/"
  cp "$pki/servers/$edge.crt" "$pki/servers/$edge.key" "$own/servers/"
  cp "$pki/services/edge-$edge.crt" "$pki/services/edge-$edge.key" "$own/services/"
  laneway-broker-config --role edge --edge-name "$edge" --core core:8883 --core core-2:8883 \
    --pki "$own" --server-name "$edge" --data-dir "$data/$edge/data" --port 8883 --bind 0.0.0.0 \
    --plugin "$plugin" --user root -o "$data/$edge.conf"
done
write_bridge_json "${LANEWAY_PUBLIC_URL:-https://localhost:18443}" core \
  '[{"host": "core-2", "port": 8883}]'
echo "laneway cluster pki: ready (trust $pki/ca.crt)"
