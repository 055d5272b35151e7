# Sourced by init.sh and init_cluster.sh: the bridge's config for a compose deployment.
#   write_bridge_json PUBLIC_URL BROKER_HOST STANDBY_JSON
# writes $data/bridge.json (certificates from $pki, the dashboard app's secret made once).
write_bridge_json() {
  local public_url=$1 broker_host=$2 standby=$3
  [ -f "$data/dashboard.secret" ] ||
    { head -c 32 /dev/urandom | base64 | tr -d '\n' >"$data/dashboard.secret"; chmod 600 "$data/dashboard.secret"; }
  cat >"$data/bridge.json" <<JSON
{
  "listen": [{"host": "0.0.0.0", "port": 8443}],
  "public_url": "$public_url",
  "web_root": "${LANEWAY_WEB_ROOT:-/opt/laneway/web}",
  "tls": {"cert": "$pki/servers/bridge.crt", "key": "$pki/servers/bridge.key"},
  "broker": {"host": "$broker_host", "port": 8883, "standby": $standby, "ca": "$pki/ca.crt",
             "cert": "$pki/services/bridge-bridge-1.crt", "key": "$pki/services/bridge-bridge-1.key",
             "client_id": "bridge-1", "state_file": "${LANEWAY_BRIDGE_STATE_DIR:-/state}/broker-filters"},
  "history": {"snapshot_file": "${LANEWAY_BRIDGE_STATE_DIR:-/state}/history"},
  "apps": [{"id": "dashboard",
            "keys": [{"alg": "HS256", "secret_file": "$data/dashboard.secret"}],
            "origins": ["$public_url"],
            "subscribe": ["devices/#", "fleet/#", "broadcast/#"],
            "publish": ["devices/+/cmd", "fleet/#", "broadcast/#"],
            "rpc": ["devices/+/rpc/#"]}],
  "webtransport": {"enabled": true, "hosts": ["localhost"], "port": 8443,
                   "cert": "$pki/wt/wt.crt", "key": "$pki/wt/wt.key"}
}
JSON
}
