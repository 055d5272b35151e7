#!/usr/bin/env bash
# The development PKI for scripts/run.sh: created on the first run, reused after.
#   certs/scripts/dev_pki.sh BUILD/certs/laneway-certs [DIR=pki]
# Creates (only what is missing) the CA, the broker's and the bridge's server certificates,
# the bridge's service certificate and an operator certificate; on every run it re-issues
# the WebTransport certificate (valid 13 days, so it is always fresh) and rewrites the CRL
# (whose nextUpdate is 30 days out, and verifiers refuse an expired CRL).
set -euo pipefail
certs=${1:?usage: dev_pki.sh PATH/TO/laneway-certs [DIR]}
dir=${2:-pki}

[ -f "$dir/ca.crt" ] || "$certs" init --dir "$dir"
[ -f "$dir/servers/broker.crt" ] ||
  "$certs" server --dir "$dir" --name broker --dns localhost --ip 127.0.0.1 --ip ::1
[ -f "$dir/servers/bridge.crt" ] ||
  "$certs" server --dir "$dir" --name bridge --dns localhost --ip 127.0.0.1 --ip ::1
[ -f "$dir/services/bridge-bridge-1.crt" ] ||
  "$certs" service --dir "$dir" --role bridge --id bridge-1
[ -f "$dir/services/operator-admin.crt" ] ||
  "$certs" service --dir "$dir" --role operator --id admin
wt_hash=$("$certs" wt-cert --dir "$dir")
printf '%s\n' "$wt_hash" >"$dir/wt/wt.sha256"
"$certs" crl --dir "$dir" >/dev/null
echo "dev PKI ready in $dir (WebTransport certificate sha256 $wt_hash)"
