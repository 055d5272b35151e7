#!/usr/bin/env bash
# Checks docker-compose.yml without a container engine (none runs here): Debian's
# docker-compose validates and resolves it (`config`), then the resolved file must have the
# services broker, bridge, fleet and simulator, built from docker/Dockerfile, sharing the
# pki and data volumes; the Dockerfile's stages are debian:12 and its build packages are
# scripts/deps.sh packages; every entry script exists, is executable and parses.
# The `cluster` profile (docs/scale.md) must hold core, core-2, edge-a, edge-b and a bridge,
# all in that profile only, on volumes of their own, with the edges and the bridge on host
# ports of their own. The `replicas` profile's bridge-2 has its own config, state volume and
# host port (8444). The bridges' health checks ask their admin listener (127.0.0.1:9464 in
# the container), which no service publishes. With BUILD_DIR, also runs the `pki` job's script
# (docker/entrypoints/init.sh) and the cluster's (init_cluster.sh) outside a container with
# that build's tools, twice each (they must be idempotent), and checks what they wrote.
#   tests/system/compose_check.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fail() { echo "compose: $*" >&2; exit 1; }
command -v docker-compose >/dev/null || fail "docker-compose missing (scripts/deps.sh installs it)"

resolved="$(mktemp /tmp/laneway-compose-XXXXXX.yml)"
trap 'rm -f "$resolved"' EXIT
docker-compose -f "$root/docker-compose.yml" --project-directory "$root" --profile cluster \
  --profile replicas config >"$resolved" || fail "docker-compose config refused docker-compose.yml"

# Debian's python3-yaml (a docker-compose dependency) serves /usr/bin/python3.
/usr/bin/python3 - "$resolved" "$root" <<'PY' || exit 1
import os, re, sys, yaml
resolved, root = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(resolved))
services = doc.get("services", {})
errors = []

def mounts_of(service):
    """{volume name: read_only} from short ("src:dst[:mode]") or long volume syntax."""
    out = {}
    for v in service.get("volumes", []):
        if isinstance(v, str):
            parts = v.split(":")
            out[parts[0]] = len(parts) > 2 and parts[2] == "ro"
        elif v.get("type") == "volume":
            out[v.get("source")] = bool(v.get("read_only"))
    return out

for name in ("broker", "bridge", "fleet", "simulator"):
    s = services.get(name)
    if s is None:
        errors.append(f"service {name} missing"); continue
    build = s.get("build", {})
    if build.get("dockerfile") != "docker/Dockerfile" or os.path.realpath(build.get("context", "")) != os.path.realpath(root):
        errors.append(f"{name} is not built from docker/Dockerfile in the repository")
    mounts = mounts_of(s)
    for vol in ("pki", "data"):
        if vol not in mounts:
            errors.append(f"{name} does not mount the shared volume {vol}")
    cmd = s.get("command") or []
    script = cmd[0] if cmd else ""
    local = os.path.join(root, "docker", "entrypoints", os.path.basename(script))
    if not script.startswith("/opt/laneway/entrypoints/") or not os.access(local, os.X_OK):
        errors.append(f"{name}: entry script {script} is not an executable docker/entrypoints file")
for vol in ("pki", "data"):
    if vol not in doc.get("volumes", {}):
        errors.append(f"volume {vol} not declared")
ports = {(p.get("target"), p.get("protocol", "tcp")) for s in services.values() for p in s.get("ports", [])}
for want in ((8883, "tcp"), (8443, "tcp"), (8443, "udp")):
    if want not in ports:
        errors.append(f"port {want[0]}/{want[1]} not published")
if mounts_of(services.get("fleet", {})).get("pki", False):
    errors.append("fleet must write /pki (it signs and appends to index.tsv)")
for name, s in services.items():
    in_cluster = "cluster" in (s.get("profiles") or [])
    if in_cluster != (name in ("cluster-pki", "core", "core-2", "edge-a", "edge-b",
                               "cluster-bridge", "cluster-fleet", "cluster-simulator")):
        errors.append(f"{name}: wrong profile {s.get('profiles')}")
    if in_cluster and any(v in mounts_of(s) for v in ("pki", "data")):
        errors.append(f"{name}: a cluster service must not share the single node's volumes")
for name in ("core", "core-2", "edge-a", "edge-b"):
    conf = (services.get(name, {}).get("environment") or {}).get("LANEWAY_BROKER_CONF")
    if conf != f"/data/{name}.conf":
        errors.append(f"{name}: LANEWAY_BROKER_CONF is {conf}")
replica = services.get("bridge-2", {})
if replica.get("profiles") != ["replicas"]:
    errors.append(f"bridge-2: profiles {replica.get('profiles')}, want ['replicas']")
if (replica.get("environment") or {}).get("LANEWAY_BRIDGE_CONF") != "/data/bridge-2.json":
    errors.append("bridge-2 does not run /data/bridge-2.json")
if "bridge-2-state" not in mounts_of(replica) or "bridge-state" in mounts_of(replica):
    errors.append("bridge-2 must keep its state in a volume of its own")
replica_ports = {(str(p.get("published")), p.get("protocol", "tcp")) for p in replica.get("ports", [])}
if replica_ports != {("8444", "tcp"), ("8444", "udp")}:
    errors.append(f"bridge-2 ports {replica_ports}, want 8444 tcp and udp")
# /healthz and /metrics are on the bridge's admin listener, loopback in its container: health
# checks ask it there, and no service publishes it (docs/bridge.md "The admin listener").
for name in ("bridge", "bridge-2"):
    test = " ".join((services.get(name, {}).get("healthcheck") or {}).get("test") or [])
    if "https://127.0.0.1:9464/healthz" not in test:
        errors.append(f"{name}: healthcheck {test!r} does not ask the admin listener")
if any(p.get("target") == 9464 for s in services.values() for p in s.get("ports", [])):
    errors.append("the bridge's admin port 9464 must not be published")
cluster_ports = {(p.get("published"), p.get("protocol", "tcp")) for n in ("edge-a", "edge-b", "cluster-bridge")
                 for p in services.get(n, {}).get("ports", [])}
for want in ((18883, "tcp"), (18884, "tcp"), (18443, "tcp"), (18443, "udp")):
    if want not in cluster_ports and (str(want[0]), want[1]) not in cluster_ports:
        errors.append(f"cluster port {want[0]}/{want[1]} not published")

dockerfile = open(os.path.join(root, "docker", "Dockerfile")).read()
froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
if not froms or any(f != "debian:12" for f in froms):
    errors.append(f"Dockerfile stages must be debian:12, found {froms}")
deps = open(os.path.join(root, "scripts", "deps.sh")).read()
block = re.search(r"PACKAGES=\((.*?)\n\)", deps, re.S).group(1)
deps_packages = set(re.sub(r"#[^\n]*", "", block).split())
build = re.search(r"# packages: build\n(.*?)&& rm", dockerfile, re.S)
if not build:
    errors.append("Dockerfile has no '# packages: build' install step")
else:
    words = build.group(1).replace("\\", " ").split()
    pkgs = [w for w in words if not w.startswith("-") and w not in
            ("RUN", "apt-get", "update", "&&", "install")]
    missing = [p for p in pkgs if p not in deps_packages]
    if missing:
        errors.append(f"Dockerfile build packages not in scripts/deps.sh: {missing}")
if errors:
    print("compose: " + "\ncompose: ".join(errors), file=sys.stderr)
    sys.exit(1)
PY
for script in "$root"/docker/entrypoints/*.sh; do bash -n "$script" || fail "$script does not parse"; done
if [ -n "${1:-}" ]; then
  build="$(cd "$1" && pwd)"
  work="$(mktemp -d /tmp/laneway-compose-init-XXXXXX)"
  trap 'rm -f "$resolved"; rm -rf "$work"' EXIT
  for _ in 1 2; do
    PATH="$build/certs:$build/fleet:$build/fleet/registry:$build/plugin/config:$PATH" \
      LANEWAY_PKI_DIR="$work/pki" LANEWAY_DATA_DIR="$work/data" \
      LANEWAY_PLUGIN="$build/plugin/laneway_plugin.so" LANEWAY_WEB_ROOT="$build/web" LANEWAY_BRIDGE_STATE_DIR="$work/state" \
      "$root/docker/entrypoints/init.sh" >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; fail "init.sh failed"; }
  done
  for f in pki/ca.crt pki/servers/broker.crt pki/servers/bridge.crt pki/services/operator-admin.crt \
           pki/claims/compose-claim.crt data/fleet.db data/mosquitto.conf data/bridge.json; do
    [ -s "$work/$f" ] || fail "init.sh did not write $f"
  done
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/data/bridge.json" ||
    fail "init.sh wrote a bridge.json that is not JSON"
  if [ -f "$build/web/index.html" ]; then
    # The bridge's own validation: every option known, every file and folder present.
    "$build/bridge/laneway-bridge" --check --config "$work/data/bridge.json" >/dev/null ||
      fail "init.sh wrote a bridge.json that laneway-bridge --check refuses"
  fi
  san=$(openssl x509 -in "$work/pki/servers/broker.crt" -noout -ext subjectAltName)
  [[ "$san" == *"DNS:broker"* ]] || fail "the broker certificate does not name the compose service 'broker'"
  claims=$("$build/fleet/laneway-fleet" claim list --registry "$work/data/fleet.db")
  [[ "$claims" == "compose-claim	active	0/10000	"* ]] || fail "init.sh did not register the claim: $claims"

  cluster="$work/cluster"
  for _ in 1 2; do
    PATH="$build/certs:$build/fleet:$build/fleet/registry:$build/plugin/config:$PATH" \
      LANEWAY_PKI_DIR="$cluster/pki" LANEWAY_DATA_DIR="$cluster/data" \
      LANEWAY_PLUGIN="$build/plugin/laneway_plugin.so" LANEWAY_WEB_ROOT="$build/web" LANEWAY_BRIDGE_STATE_DIR="$work/state" \
      "$root/docker/entrypoints/init_cluster.sh" >"$work/init_cluster.log" 2>&1 ||
      { cat "$work/init_cluster.log" >&2; fail "init_cluster.sh failed"; }
  done
  for conf in core core-2; do
    grep -q "^plugin_opt_role core$" "$cluster/data/$conf.conf" || fail "$conf.conf is not a core"
  done
  [ "$(grep -h '^plugin_opt_core_index' "$cluster/data/core.conf" "$cluster/data/core-2.conf" | sort -u | wc -l)" -eq 2 ] ||
    fail "the two cores share a core index"
  for edge in edge-a edge-b; do
    grep -q "^address core:8883 core-2:8883$" "$cluster/data/$edge.conf" || fail "$edge.conf does not bridge to both cores"
    grep -q "^plugin_opt_registry" "$cluster/data/$edge.conf" && fail "$edge.conf names a registry"
    [ -s "$cluster/data/$edge/pki/services/edge-$edge.crt" ] || fail "$edge has no edge certificate"
    [ ! -e "$cluster/data/$edge/pki/ca.key" ] || fail "$edge holds the CA key"
  done
  if [ -f "$build/web/index.html" ]; then
    "$build/bridge/laneway-bridge" --check --config "$cluster/data/bridge.json" >/dev/null ||
      fail "init_cluster.sh wrote a bridge.json that laneway-bridge --check refuses"
  fi

  # The `replicas` profile: two bridge configs, each with its own identity, one tier.
  two="$work/replicas"
  PATH="$build/certs:$build/fleet:$build/fleet/registry:$build/plugin/config:$PATH" \
    LANEWAY_PKI_DIR="$two/pki" LANEWAY_DATA_DIR="$two/data" LANEWAY_BRIDGE_STATE_DIR="$work/state" \
    LANEWAY_PLUGIN="$build/plugin/laneway_plugin.so" LANEWAY_WEB_ROOT="$build/web" \
    LANEWAY_BRIDGE_URLS="https://localhost:8443 https://localhost:8444" \
    "$root/docker/entrypoints/init.sh" >"$work/init_replicas.log" 2>&1 ||
    { cat "$work/init_replicas.log" >&2; fail "init.sh with two bridge URLs failed"; }
  /usr/bin/python3 - "$two/data/bridge.json" "$two/data/bridge-2.json" <<'PY' || fail "the replicas' bridge configs are wrong"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
urls = ["https://localhost:8443", "https://localhost:8444"]
assert a["replicas"] == urls and b["replicas"] == urls, "replicas lists"
assert a["broker"]["client_id"] == "bridge-1" and b["broker"]["client_id"] == "bridge-2", "client ids"
assert a["broker"]["cert"] != b["broker"]["cert"], "shared broker certificate"
assert a["webtransport"]["cert"] != b["webtransport"]["cert"], "shared WebTransport certificate"
assert b["public_url"] == urls[1] and b["webtransport"]["public_url"] == urls[1], "bridge-2's URLs"
assert a["history"].get("mirror") and b["history"].get("mirror"), "replicas must mirror history"
PY
  if [ -f "$build/web/index.html" ]; then
    for conf in bridge bridge-2; do
      "$build/bridge/laneway-bridge" --check --config "$two/data/$conf.json" >/dev/null ||
        fail "init.sh wrote a $conf.json that laneway-bridge --check refuses"
    done
  fi
fi
echo "compose: docker-compose.yml resolves; broker, bridge, fleet, simulator on debian:12 with shared pki/data volumes; the cluster profile's cores, edges and bridge; the replicas profile's bridge-2"
