# Shared by scripts/start.sh (one node) and scripts/cluster.sh (a cluster in network
# namespaces): process bookkeeping, bounded waits, the bridge's development config, the
# dashboard's sign-in link, and the run loop. Sourced, not run; the caller sets `root`,
# `build` and `state` and the tool paths below.
certs="$build/certs/laneway-certs"
registry="$build/fleet/registry/laneway-registry"
fleet="$build/fleet/laneway-fleet"
broker_config="$build/plugin/config/laneway-broker-config"
bridge="$build/bridge/laneway-bridge"
for tool in "$certs" "$registry" "$fleet" "$broker_config" "$bridge"; do
  [ -x "$tool" ] || { echo "laneway: $tool is missing; build first (scripts/build.sh)" >&2; exit 1; }
done

pids=()
sleeper=""  # the background sleep of nap(), below
after_stop=()  # commands run once every process is stopped (cluster.sh: remove namespaces)
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
  for ((i = 0; i < ${#after_stop[@]}; i++)); do eval "${after_stop[i]}" || true; done
}
trap stop_all EXIT
trap 'echo; echo "laneway: stopping"; exit 0' INT TERM

wait_for() {  # wait_for WHAT TRIES COMMAND...: bounded polling, 0.1 s apart
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "laneway: $what did not come up; see $state/*.log" >&2
  exit 1
}

# admin_port REPLICA: where replica REPLICA serves /healthz and /metrics, always on loopback
# (docs/bridge.md "The admin listener"): LANEWAY_ADMIN_PORT (9464) + REPLICA - 1.
admin_port() { echo $(( ${LANEWAY_ADMIN_PORT:-9464} + ${1:-1} - 1 )); }

# write_bridge_config BIND HTTPS_PORT BROKER_HOST BROKER_PORT [STANDBY_JSON] [REPLICA] [REPLICAS]:
# the config of bridge replica REPLICA (1 by default) in $state/bridge.json (replica 1) or
# $state/bridge-REPLICA.json, one development app "dashboard" with an HS256 secret made on
# the first run, the dashboard and SDK served at / when built. REPLICAS: every replica's
# base URL, space-separated; with more than one, each replica mirrors the app's topics
# (history.mirror) and lists the others in /api/info (docs/scale.md "Bridge replicas").
write_bridge_config() {
  local bind=$1 https_port=$2 broker_host=$3 broker_port=$4 standby=${5:-[]} replica=${6:-1}
  local replicas=${7:-https://$bind:$https_port}
  [ -f "$state/dashboard.secret" ] || { head -c 32 /dev/urandom | base64 | tr -d '\n' >"$state/dashboard.secret"; chmod 600 "$state/dashboard.secret"; }
  [ -f "$state/pki/services/bridge-bridge-$replica.crt" ] ||
    "$certs" service --dir "$state/pki" --role bridge --id "bridge-$replica" >/dev/null
  # Each replica its own WebTransport certificate, made anew on each start like the one
  # certs/scripts/dev_pki.sh makes for replica 1.
  local wt
  wt="pki/wt/$(replica_file wt "$replica")"
  [ "$replica" = 1 ] || "$certs" wt-cert --dir "$state/pki" --out "$state/$wt" >"$state/$wt.sha256"
  web_root_line=""
  [ -f "$build/web/index.html" ] && web_root_line="\"web_root\": \"$build/web\","
  local origins="" urls="" mirror="" url
  for url in $replicas; do
    origins+="\"$url\", \"${url/$bind/localhost}\", "
    urls+="${urls:+, }\"$url\""
  done
  [ "$(wc -w <<<"$replicas")" -gt 1 ] && mirror='"mirror": ["devices/#", "fleet/#", "broadcast/#"], '
  cat >"$(bridge_config_file "$replica")" <<JSON
{
  "listen": [{"host": "$bind", "port": $https_port}],
  "admin": {"listen": "127.0.0.1:$(admin_port "$replica")"},
  "public_url": "https://$bind:$https_port",
  "replicas": [$urls],
  $web_root_line
  "tls": {"cert": "pki/servers/bridge.crt", "key": "pki/servers/bridge.key"},
  "broker": {"host": "$broker_host", "port": $broker_port, "standby": $standby, "ca": "pki/ca.crt",
             "cert": "pki/services/bridge-bridge-$replica.crt", "key": "pki/services/bridge-bridge-$replica.key",
             "client_id": "bridge-$replica", "state_file": "$(replica_file bridge-broker-filters "$replica")"},
  "history": {${mirror}"snapshot_file": "$(replica_file bridge-history "$replica")"},
  "apps": [{"id": "dashboard",
            "keys": [{"alg": "HS256", "secret_file": "dashboard.secret"}],
            "origins": [${origins%, }],
            "subscribe": ["devices/#", "fleet/#", "broadcast/#"],
            "publish": ["devices/+/cmd", "fleet/#", "broadcast/#"],
            "rpc": ["devices/+/rpc/#"]}],
  "webtransport": {"enabled": true, "hosts": ["$bind"], "port": $https_port,
                   "cert": "$wt.crt", "key": "$wt.key"}
}
JSON
}

# replica_file NAME REPLICA: NAME for replica 1 (what a single bridge always used), else
# NAME-REPLICA, so replicas never share a state file.
replica_file() {
  if [ "$2" = 1 ]; then echo "$1"; else echo "$1-$2"; fi
}
bridge_config_file() { echo "$state/$(replica_file bridge "$1").json"; }
bridge_log_file() { echo "$state/$(replica_file bridge "$1").log"; }

# start_bridge BIND HTTPS_PORT [REPLICA]: laneway-bridge on its config, once its admin
# listener's /healthz answers and the public port serves /api/info.
start_bridge() {
  local replica=${3:-1}
  "$bridge" --config "$(bridge_config_file "$replica")" >"$(bridge_log_file "$replica")" 2>&1 &
  pids+=($!)
  wait_for "laneway-bridge admin on 127.0.0.1:$(admin_port "$replica")" 100 \
    curl -fsS --cacert "$state/pki/ca.crt" "https://127.0.0.1:$(admin_port "$replica")/healthz"
  wait_for "laneway-bridge on $1:$2" 100 curl -fsS --cacert "$state/pki/ca.crt" "https://$1:$2/api/info"
}

# The demo claim: devices holding it provision themselves through laneway-fleet serve.
ensure_demo_claim() {
  [ -f "$state/pki/claims/demo-claim.crt" ] ||
    "$certs" claim --dir "$state/pki" --batch demo-claim >/dev/null
  "$fleet" claim add --registry "$state/fleet.db" --batch demo-claim --allowed 1000 --days 365 \
    --group demo >/dev/null
}

# dashboard_line BIND HTTPS_PORT: the sign-in link, a short-lived token for app "dashboard"
# minted from its secret and carried in the URL fragment (never sent to the server or logged).
dashboard_line() {
  local bind=$1 https_port=$2
  if [ -n "$web_root_line" ]; then
    local dev_token
    dev_token="$(node "$root/bridge/web/dashboard/scripts/dev_token.js" --secret-file "$state/dashboard.secret" \
      --app dashboard --sub operator --ttl "${LANEWAY_DEV_TOKEN_TTL:-28800}")"
    echo "Dashboard URL: https://$bind:$https_port/#token=$dev_token
  (sign-in link with a development token valid $(( ${LANEWAY_DEV_TOKEN_TTL:-28800} / 3600 )) h; rerun for a new one)"
  else
    echo "Dashboard URL: https://$bind:$https_port/  (not built: $build/web is missing, scripts/build.sh builds it)"
  fi
}

# Browsers accept a pinned WebTransport certificate for at most 14 days, so while the system
# runs the certificate is reissued once it has less than 7 days left. The bridge notices the
# new files, keeps its open sessions and advertises both hashes in /api/info meanwhile.
# Every replica's certificate (pki/wt/wt.crt, wt-2.crt, ...) is checked.
rotate_wt_certificate_if_due() {
  local crt prefix
  for crt in "$state"/pki/wt/wt*.crt; do
    prefix=${crt%.crt}
    openssl x509 -checkend $((7 * 86400)) -noout -in "$crt" >/dev/null && continue
    "$certs" wt-cert --dir "$state/pki" --out "$prefix" >"$prefix.sha256" || return 1
    echo "laneway: reissued the WebTransport certificate $crt (sha256 $(cat "$prefix.sha256"))"
  done
}

# Sleeps run in the background and are waited for: bash runs the INT/TERM trap only after a
# foreground command ends, so a `kill` of the script alone would otherwise wait out the
# hour; `wait` returns at once on a signal (and stop_all ends the sleep).
nap() {
  sleep "$1" &
  sleeper=$!
  wait "$sleeper"
}

# Until Ctrl-C (or LANEWAY_RUN_SECONDS).
run_until_stopped() {
  if [ -n "${LANEWAY_RUN_SECONDS:-}" ]; then
    nap "$LANEWAY_RUN_SECONDS"
  else
    while true; do
      nap 3600
      rotate_wt_certificate_if_due || echo "laneway: could not reissue the WebTransport certificate" >&2
    done
  fi
}
