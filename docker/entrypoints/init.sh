#!/usr/bin/env bash
# One-shot `pki` service: creates what is missing in the shared volumes — the development
# CA and certificates (/pki, with the compose service names in the server certificates),
# the registry with the demo claim, and the broker and bridge configs (/data). Idempotent,
# so `docker-compose up` after a first run reuses everything.
set -euo pipefail
# shellcheck source=bridge_config.sh
. "$(dirname "$0")/bridge_config.sh"
pki=${LANEWAY_PKI_DIR:-/pki}     # overridable so tests can run this outside a container
data=${LANEWAY_DATA_DIR:-/data}
plugin=${LANEWAY_PLUGIN:-/opt/laneway/lib/laneway_plugin.so}
mkdir -p "$pki" "$data"
[ -f "$pki/ca.crt" ] || laneway-certs init --dir "$pki"
[ -f "$pki/servers/broker.crt" ] ||
  laneway-certs server --dir "$pki" --name broker --dns broker --dns localhost --ip 127.0.0.1
[ -f "$pki/servers/bridge.crt" ] ||
  laneway-certs server --dir "$pki" --name bridge --dns bridge --dns localhost --ip 127.0.0.1
[ -f "$pki/services/operator-admin.crt" ] ||
  laneway-certs service --dir "$pki" --role operator --id admin
[ -f "$pki/claims/${LANEWAY_CLAIM:-compose-claim}.crt" ] ||
  laneway-certs claim --dir "$pki" --batch "${LANEWAY_CLAIM:-compose-claim}"
laneway-certs crl --dir "$pki" >/dev/null

laneway-registry --db "$data/fleet.db" init
laneway-fleet claim add --registry "$data/fleet.db" --batch "${LANEWAY_CLAIM:-compose-claim}" \
  --allowed "${LANEWAY_CLAIM_ALLOWED:-10000}" --days 365 --group demo
laneway-broker-config --pki "$pki" --registry "$data/fleet.db" --data-dir "$data/broker" \
  --port 8883 --bind 0.0.0.0 --plugin "$plugin" --user root \
  -o "$data/mosquitto.conf"
# LANEWAY_BRIDGE_URLS: every bridge replica's public URL (the `replicas` profile runs two).
write_bridge_json "${LANEWAY_BRIDGE_URLS:-${LANEWAY_PUBLIC_URL:-https://localhost:8443}}" broker "[]"
echo "laneway pki: ready (trust $pki/ca.crt; copy it out with: docker-compose run --rm --no-deps pki cat /pki/ca.crt >laneway-ca.crt)"
