# Sourced by init.sh and init_cluster.sh: the bridge configs of a compose deployment.
#   write_bridge_json "URL1 [URL2 ...]" BROKER_HOST STANDBY_JSON
# writes one config per replica, each URL being that replica's public base URL: replica 1
# in $data/bridge.json, replica N in $data/bridge-N.json, each with its own broker client
# id and certificate (bridge-N) and its own WebTransport certificate ($pki/wt/wt[-N], made
# anew on each run); the dashboard app's secret is made once and shared. With more than
# one replica, each mirrors the app's topics and lists the others in /api/info
# (docs/scale.md "Bridge replicas").
write_bridge_json() {
  local urls=$1 broker_host=$2 standby=$3
  [ -f "$data/dashboard.secret" ] ||
    { head -c 32 /dev/urandom | base64 | tr -d '\n' >"$data/dashboard.secret"; chmod 600 "$data/dashboard.secret"; }
  local listed="" mirror="" url n=0
  for url in $urls; do listed+="${listed:+, }\"$url\""; done
  [ "$(wc -w <<<"$urls")" -gt 1 ] && mirror='"mirror": ["devices/#", "fleet/#", "broadcast/#"], '
  for url in $urls; do
    n=$((n + 1))
    local suffix="" host="bridge"
    [ "$n" = 1 ] || { suffix="-$n"; host="bridge-$n"; }
    [ -f "$pki/services/bridge-bridge-$n.crt" ] ||
      laneway-certs service --dir "$pki" --role bridge --id "bridge-$n" >/dev/null
    mkdir -p "$pki/wt"
    # Reissued on every start: browsers pin a WebTransport certificate for 14 days at most.
    laneway-certs wt-cert --dir "$pki" --dns "$host" --dns localhost --ip 127.0.0.1 \
      --out "$pki/wt/wt$suffix" >"$pki/wt/wt$suffix.sha256"
    cat >"$data/bridge$suffix.json" <<JSON
{
  "listen": [{"host": "0.0.0.0", "port": 8443}],
  "admin": {"listen": "127.0.0.1:9464"},
  "public_url": "$url",
  "replicas": [$listed],
  "web_root": "${LANEWAY_WEB_ROOT:-/opt/laneway/web}",
  "tls": {"cert": "$pki/servers/bridge.crt", "key": "$pki/servers/bridge.key"},
  "broker": {"host": "$broker_host", "port": 8883, "standby": $standby, "ca": "$pki/ca.crt",
             "cert": "$pki/services/bridge-bridge-$n.crt", "key": "$pki/services/bridge-bridge-$n.key",
             "client_id": "bridge-$n", "state_file": "${LANEWAY_BRIDGE_STATE_DIR:-/state}/broker-filters"},
  "history": {${mirror}"snapshot_file": "${LANEWAY_BRIDGE_STATE_DIR:-/state}/history"},
  "apps": [{"id": "dashboard",
            "keys": [{"alg": "HS256", "secret_file": "$data/dashboard.secret"}],
            "origins": [$listed],
            "subscribe": ["devices/#", "fleet/#", "broadcast/#"],
            "publish": ["devices/+/cmd", "fleet/#", "broadcast/#"],
            "rpc": ["devices/+/rpc/#"]}],
  "webtransport": {"enabled": true, "hosts": ["localhost"], "port": 8443, "public_url": "$url",
                   "cert": "$pki/wt/wt$suffix.crt", "key": "$pki/wt/wt$suffix.key"}
}
JSON
  done
}
