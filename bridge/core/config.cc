#include "config.h"

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bearer_token.h"
#include "laneway/wire/origin.h"
#include "laneway/wire/topic_filter.h"
#include "listen_address.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;

// Thrown only inside this file and caught in parse_config: keeps every check a one-liner.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(const std::string& message) {
  throw ConfigError{message};
}

void only_keys(const json& obj, const std::string& where,
               std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) fail(where + ": must be an object");
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) fail(where + ": unknown option '" + key + "'");
  }
}

std::string get_string(const json& obj, const char* key, const std::string& where,
                       const std::string& fallback) {
  if (!obj.contains(key)) return fallback;
  if (!obj[key].is_string()) fail(where + "." + key + ": must be a string");
  return obj[key].get<std::string>();
}

template <typename T>
T get_number(const json& obj, const char* key, const std::string& where, T fallback, T min, T max) {
  if (!obj.contains(key)) return fallback;
  if (!obj[key].is_number()) fail(where + "." + key + ": must be a number");
  const double v = obj[key].get<double>();
  if (v < static_cast<double>(min) || v > static_cast<double>(max)) {
    fail(where + "." + key + ": out of range");
  }
  return static_cast<T>(v);
}

std::vector<std::string> get_strings(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!obj.contains(key)) return out;
  if (!obj[key].is_array()) fail(where + "." + key + ": must be an array of strings");
  for (const auto& v : obj[key]) {
    if (!v.is_string()) fail(where + "." + key + ": must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string read_file(const std::string& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(where + ": cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

JwtKey parse_key(const json& k, const std::string& where, const std::string& base_dir) {
  only_keys(k, where, {"alg", "kid", "secret", "secret_file", "public_key_file"});
  JwtKey key;
  const std::string alg = get_string(k, "alg", where, "");
  if (alg == "HS256") {
    key.alg = JwtAlg::kHS256;
  } else if (alg == "RS256") {
    key.alg = JwtAlg::kRS256;
  } else if (alg == "ES256") {
    key.alg = JwtAlg::kES256;
  } else {
    fail(where + ".alg: must be HS256, RS256 or ES256");
  }
  key.kid = get_string(k, "kid", where, "");
  if (key.alg == JwtAlg::kHS256) {
    if (k.contains("secret") == k.contains("secret_file")) {
      fail(where + ": HS256 needs exactly one of secret, secret_file");
    }
    key.material = k.contains("secret")
                       ? get_string(k, "secret", where, "")
                       : read_file(resolve(get_string(k, "secret_file", where, ""), base_dir),
                                   where + ".secret_file");
    if (key.material.size() < 32) fail(where + ": HS256 secret must be at least 32 bytes");
  } else {
    if (!k.contains("public_key_file")) fail(where + ": " + alg + " needs public_key_file");
    key.material = read_file(resolve(get_string(k, "public_key_file", where, ""), base_dir),
                             where + ".public_key_file");
    if (key.material.find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
      fail(where + ".public_key_file: not a PEM public key");
    }
  }
  return key;
}

std::vector<std::string> get_filters(const json& obj, const char* key, const std::string& where) {
  auto filters = get_strings(obj, key, where);
  for (const auto& f : filters) {
    if (!wire::is_valid_filter(f) || f.front() == '$') {
      fail(where + "." + key + ": invalid application topic filter '" + f + "'");
    }
  }
  return filters;
}

bool get_bool(const json& obj, const char* key, const std::string& where, bool fallback) {
  if (!obj.contains(key)) return fallback;
  if (!obj[key].is_boolean()) fail(where + "." + key + ": must be true or false");
  return obj[key].get<bool>();
}

AppConfig parse_app(const json& a, const std::string& where, const std::string& base_dir) {
  only_keys(a, where, {"id", "keys", "origins", "subscribe", "publish", "rpc", "sse_url_token"});
  AppConfig app;
  app.id = get_string(a, "id", where, "");
  if (app.id.empty()) fail(where + ".id: required");
  if (!wire::is_valid_app_id(app.id)) {
    fail(where + ".id: must be 1..64 of [A-Za-z0-9._-] (it is part of envelope origins)");
  }
  if (!a.contains("keys") || !a["keys"].is_array() || a["keys"].empty()) {
    fail(where + ".keys: at least one key required");
  }
  for (std::size_t i = 0; i < a["keys"].size(); ++i) {
    app.keys.push_back(
        parse_key(a["keys"][i], where + ".keys[" + std::to_string(i) + "]", base_dir));
  }
  app.origins = get_strings(a, "origins", where);
  app.subscribe = get_filters(a, "subscribe", where);
  app.publish = get_filters(a, "publish", where);
  app.rpc = get_filters(a, "rpc", where);
  app.sse_url_token = get_bool(a, "sse_url_token", where, false);
  return app;
}

WebTransportConfig parse_webtransport(const json& w, const BridgeConfig& c,
                                      const std::string& base_dir) {
  const std::string where = "webtransport";
  only_keys(w, where,
            {"enabled", "hosts", "port", "cert", "key", "public_url", "max_sessions",
             "max_sessions_per_connection", "max_streams", "idle_timeout_ms", "ping_interval_ms",
             "datagrams", "cert_check_ms", "cert_warn_days"});
  WebTransportConfig t;
  t.enabled = get_bool(w, "enabled", where, true);
  t.hosts = get_strings(w, "hosts", where);
  if (t.hosts.empty()) {
    for (const ListenAddress& l : c.listen) t.hosts.push_back(l.host);
  }
  t.port = get_number<int>(w, "port", where, t.port, 0, 65535);
  t.cert_file = resolve(get_string(w, "cert", where, ""), base_dir);
  t.key_file = resolve(get_string(w, "key", where, ""), base_dir);
  if (t.enabled && (t.cert_file.empty() || t.key_file.empty())) {
    fail(where + ": cert and key required (laneway-certs wt-cert)");
  }
  t.public_url = get_string(w, "public_url", where, "");
  t.max_sessions = get_number<std::size_t>(w, "max_sessions", where, t.max_sessions, 1, 10000000);
  t.max_sessions_per_connection = get_number<std::size_t>(w, "max_sessions_per_connection", where,
                                                          t.max_sessions_per_connection, 1, 64);
  t.max_streams = get_number<std::uint64_t>(w, "max_streams", where, t.max_streams, 1, 10000);
  t.idle_timeout_ms =
      get_number<std::uint32_t>(w, "idle_timeout_ms", where, t.idle_timeout_ms, 1000, 600000);
  t.ping_interval_ms =
      get_number<std::uint32_t>(w, "ping_interval_ms", where, t.ping_interval_ms, 1000, 600000);
  t.datagrams = get_bool(w, "datagrams", where, t.datagrams);
  t.cert_check_ms =
      get_number<std::uint32_t>(w, "cert_check_ms", where, t.cert_check_ms, 100, 3600000);
  t.cert_warn_days = get_number<std::uint32_t>(w, "cert_warn_days", where, t.cert_warn_days, 0, 14);
  return t;
}

// A token file usually ends in a newline (echo, openssl rand -hex); that is not part of it.
std::string trim_trailing_space(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

AdminConfig parse_admin(const json& a, const std::string& base_dir) {
  only_keys(a, "admin", {"listen", "token", "token_file"});
  AdminConfig admin;
  if (a.contains("listen")) {
    std::string why;
    auto addr = parse_host_port(get_string(a, "listen", "admin", ""), why);
    if (!addr) fail("admin.listen: " + why);
    admin.listen = *addr;
  }
  if (a.contains("token") && a.contains("token_file")) {
    fail("admin: at most one of token, token_file");
  }
  if (a.contains("token")) admin.token = get_string(a, "token", "admin", "");
  if (a.contains("token_file")) {
    admin.token = trim_trailing_space(
        read_file(resolve(get_string(a, "token_file", "admin", ""), base_dir), "admin.token_file"));
  }
  if ((a.contains("token") || a.contains("token_file")) &&
      (admin.token.size() < 32 || admin.token.size() > kMaxAdminTokenBytes ||
       !is_bearer_token_syntax(admin.token))) {
    fail(
        "admin.token: must be 32 to 1024 characters of [A-Za-z0-9-._~+/] (e.g. openssl rand "
        "-hex 32)");
  }
  // Health and metrics say how busy the bridge is and with what; off loopback only a holder
  // of the token may read them.
  if (admin.token.empty() && !is_loopback_address(admin.listen.host)) {
    fail("admin.listen: " + admin.listen.host +
         " is not a loopback address; set admin.token or admin.token_file to expose /metrics "
         "and /healthz there");
  }
  return admin;
}

BridgeConfig parse(const json& root, const std::string& base_dir) {
  only_keys(root, "config",
            {"listen", "public_url", "tls", "lanes", "broker", "apps", "limits", "history", "sse",
             "ws", "log_level", "webtransport", "web_root", "drain_ms", "replicas", "admin"});
  BridgeConfig c;
  if (root.contains("listen")) {
    if (!root["listen"].is_array() || root["listen"].empty()) {
      fail("listen: must be a non-empty array");
    }
    c.listen.clear();
    for (const auto& l : root["listen"]) {
      only_keys(l, "listen[]", {"host", "port"});
      ListenAddress addr;
      addr.host = get_string(l, "host", "listen[]", addr.host);
      addr.port = get_number<int>(l, "port", "listen[]", addr.port, 1, 65535);
      c.listen.push_back(addr);
    }
  }
  c.public_url = get_string(root, "public_url", "config", "");
  c.replicas = get_strings(root, "replicas", "config");
  for (const std::string& url : c.replicas) {
    if (url.rfind("https://", 0) != 0 || url.size() <= 8 || url.back() == '/') {
      fail("replicas: '" + url + "' is not a base URL like https://host:port");
    }
  }
  if (!root.contains("tls")) fail("tls: required (the bridge serves HTTPS only)");
  only_keys(root["tls"], "tls", {"cert", "key", "http2"});
  if (root["tls"].contains("http2")) {
    if (!root["tls"]["http2"].is_boolean()) fail("tls.http2: must be true or false");
    c.tls.http2 = root["tls"]["http2"].get<bool>();
  }
  c.tls.cert_file = resolve(get_string(root["tls"], "cert", "tls", ""), base_dir);
  c.tls.key_file = resolve(get_string(root["tls"], "key", "tls", ""), base_dir);
  if (c.tls.cert_file.empty() || c.tls.key_file.empty()) fail("tls: cert and key required");

  if (root.contains("admin")) c.admin = parse_admin(root["admin"], base_dir);
  for (const ListenAddress& l : c.listen) {
    if (l.host == c.admin.listen.host && l.port == c.admin.listen.port) {
      fail("admin.listen: " + url_host(l.host) + ":" + std::to_string(l.port) +
           " is also in listen[]; the admin listener needs a port of its own");
    }
  }

  if (root.contains("lanes")) {
    const json& l = root["lanes"];
    only_keys(l, "lanes", {"ws", "sse"});
    c.lanes.ws = get_bool(l, "ws", "lanes", c.lanes.ws);
    c.lanes.sse = get_bool(l, "sse", "lanes", c.lanes.sse);
  }
  if (!root.contains("broker")) fail("broker: required");
  const json& b = root["broker"];
  only_keys(
      b, "broker",
      {"host", "port", "standby", "ca", "cert", "key", "client_id", "keepalive_s",
       "reconnect_min_s", "reconnect_max_s", "session_expiry_s", "state_file", "backlog_wait_ms"});
  c.broker.host = get_string(b, "host", "broker", c.broker.host);
  c.broker.port = get_number<int>(b, "port", "broker", c.broker.port, 1, 65535);
  if (b.contains("standby")) {
    if (!b["standby"].is_array() || b["standby"].size() > 8)
      fail("broker.standby: a list of at most 8 {host, port}");
    for (const json& s : b["standby"]) {
      if (!s.is_object()) fail("broker.standby[]: an object {host, port}");
      only_keys(s, "broker.standby[]", {"host", "port"});
      BrokerAddress standby;
      standby.host = get_string(s, "host", "broker.standby[]", "");
      if (standby.host.empty()) fail("broker.standby[].host: required");
      standby.port = get_number<int>(s, "port", "broker.standby[]", 8883, 1, 65535);
      c.broker.standby.push_back(std::move(standby));
    }
  }
  c.broker.ca_file = resolve(get_string(b, "ca", "broker", ""), base_dir);
  c.broker.cert_file = resolve(get_string(b, "cert", "broker", ""), base_dir);
  c.broker.key_file = resolve(get_string(b, "key", "broker", ""), base_dir);
  if (c.broker.ca_file.empty() || c.broker.cert_file.empty() || c.broker.key_file.empty()) {
    fail("broker: ca, cert and key required (mTLS only)");
  }
  c.broker.client_id = get_string(b, "client_id", "broker", c.broker.client_id);
  // It names the bridge's RPC reply topic (devices/<id>/rpc-reply/bridge-<client_id>), so it
  // must be a plain topic level.
  if (c.broker.client_id.empty() || c.broker.client_id.size() > 64 ||
      c.broker.client_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789._-") != std::string::npos) {
    fail("broker.client_id: must be 1..64 of [A-Za-z0-9._-]");
  }
  c.broker.keepalive_s = get_number<int>(b, "keepalive_s", "broker", 30, 5, 3600);
  c.broker.reconnect_min_s = get_number<int>(b, "reconnect_min_s", "broker", 1, 1, 60);
  c.broker.reconnect_max_s =
      get_number<int>(b, "reconnect_max_s", "broker", 30, c.broker.reconnect_min_s, 3600);
  c.broker.session_expiry_s = get_number<std::uint32_t>(b, "session_expiry_s", "broker",
                                                        c.broker.session_expiry_s, 0, 604800);
  c.broker.state_file = resolve(get_string(b, "state_file", "broker", ""), base_dir);
  c.broker.backlog_wait_ms =
      get_number<std::uint32_t>(b, "backlog_wait_ms", "broker", c.broker.backlog_wait_ms, 0, 60000);

  if (!root.contains("apps") || !root["apps"].is_array() || root["apps"].empty()) {
    fail("apps: at least one app required");
  }
  for (std::size_t i = 0; i < root["apps"].size(); ++i) {
    AppConfig app = parse_app(root["apps"][i], "apps[" + std::to_string(i) + "]", base_dir);
    if (c.find_app(app.id)) fail("apps: duplicate id '" + app.id + "'");
    c.apps.push_back(std::move(app));
  }

  if (root.contains("limits")) {
    const json& l = root["limits"];
    only_keys(l, "limits",
              {"max_frame_bytes", "queue_max_bytes", "publish_rate_per_s", "publish_burst",
               "call_rate_per_s", "call_burst", "max_subscriptions", "max_sessions",
               "rpc_timeout_max_ms", "rpc_timeout_default_ms", "rpc_pending_per_session",
               "rpc_pending_max", "history_request_max", "broker_inbox_max",
               "broker_inbox_max_bytes", "upstream_inflight_max", "upstream_inflight_max_bytes",
               "presence_max_devices", "presence_page_max"});
    Limits& m = c.limits;
    m.max_frame_bytes =
        get_number<std::size_t>(l, "max_frame_bytes", "limits", m.max_frame_bytes, 256, 16u << 20);
    m.queue_max_bytes = get_number<std::size_t>(l, "queue_max_bytes", "limits", m.queue_max_bytes,
                                                1024, std::size_t{1} << 32);
    m.publish_rate_per_s =
        get_number<double>(l, "publish_rate_per_s", "limits", m.publish_rate_per_s, 0, 1e6);
    m.publish_burst = get_number<double>(l, "publish_burst", "limits", m.publish_burst, 1, 1e6);
    m.call_rate_per_s =
        get_number<double>(l, "call_rate_per_s", "limits", m.call_rate_per_s, 0, 1e6);
    m.call_burst = get_number<double>(l, "call_burst", "limits", m.call_burst, 1, 1e6);
    m.max_subscriptions =
        get_number<std::size_t>(l, "max_subscriptions", "limits", m.max_subscriptions, 1, 100000);
    m.max_sessions =
        get_number<std::size_t>(l, "max_sessions", "limits", m.max_sessions, 1, 10000000);
    m.rpc_timeout_max_ms = get_number<std::uint32_t>(l, "rpc_timeout_max_ms", "limits",
                                                     m.rpc_timeout_max_ms, 100, 600000);
    m.rpc_timeout_default_ms = get_number<std::uint32_t>(l, "rpc_timeout_default_ms", "limits",
                                                         m.rpc_timeout_default_ms, 1, 600000);
    m.rpc_pending_per_session = get_number<std::size_t>(l, "rpc_pending_per_session", "limits",
                                                        m.rpc_pending_per_session, 1, 10000);
    m.rpc_pending_max =
        get_number<std::size_t>(l, "rpc_pending_max", "limits", m.rpc_pending_max, 1, 10000000);
    m.history_request_max = get_number<std::uint32_t>(l, "history_request_max", "limits",
                                                      m.history_request_max, 1, 100000);
    m.broker_inbox_max =
        get_number<std::size_t>(l, "broker_inbox_max", "limits", m.broker_inbox_max, 16, 10000000);
    m.broker_inbox_max_bytes = get_number<std::size_t>(
        l, "broker_inbox_max_bytes", "limits", m.broker_inbox_max_bytes, 1u << 16, 1ull << 36);
    // At most 30,000: the ledger keeps message ids within half the 16-bit id space.
    m.upstream_inflight_max = get_number<std::size_t>(l, "upstream_inflight_max", "limits",
                                                      m.upstream_inflight_max, 1, 30000);
    m.upstream_inflight_max_bytes =
        get_number<std::size_t>(l, "upstream_inflight_max_bytes", "limits",
                                m.upstream_inflight_max_bytes, 1u << 16, 1ull << 36);
    m.presence_max_devices = get_number<std::size_t>(l, "presence_max_devices", "limits",
                                                     m.presence_max_devices, 1, 1000000);
    m.presence_page_max =
        get_number<std::uint32_t>(l, "presence_page_max", "limits", m.presence_page_max, 1, 10000);
    if (m.queue_max_bytes < m.max_frame_bytes) {
      fail("limits.queue_max_bytes: must be at least limits.max_frame_bytes");
    }
  }
  if (root.contains("history")) {
    const json& h = root["history"];
    only_keys(h, "history",
              {"max_messages_per_topic", "max_bytes_per_topic", "max_topics", "max_total_bytes",
               "upstream_linger_ms", "snapshot_file", "mirror"});
    c.history.max_messages_per_topic = get_number<std::size_t>(
        h, "max_messages_per_topic", "history", c.history.max_messages_per_topic, 0, 1000000);
    c.history.max_bytes_per_topic = get_number<std::size_t>(
        h, "max_bytes_per_topic", "history", c.history.max_bytes_per_topic, 0, 1u << 30);
    c.history.max_topics =
        get_number<std::size_t>(h, "max_topics", "history", c.history.max_topics, 1, 10000000);
    c.history.max_total_bytes = get_number<std::size_t>(h, "max_total_bytes", "history",
                                                        c.history.max_total_bytes, 0, 1ull << 40);
    c.history.upstream_linger_ms = get_number<std::uint32_t>(
        h, "upstream_linger_ms", "history", c.history.upstream_linger_ms, 0, 86400000);
    c.history_snapshot_file = resolve(get_string(h, "snapshot_file", "history", ""), base_dir);
    c.history.mirror_filters = get_filters(h, "mirror", "history");
  }
  // Frames in history keep their SSE base64 once an SSE session wrote them.
  c.history.count_sse_encoding = c.lanes.sse;
  c.drain_ms = get_number<std::uint32_t>(root, "drain_ms", "config", c.drain_ms, 0, 600000);
  if (root.contains("sse")) {
    only_keys(root["sse"], "sse", {"heartbeat_ms", "resume_window_ms"});
    c.sse_heartbeat_ms =
        get_number<std::uint32_t>(root["sse"], "heartbeat_ms", "sse", 15000, 100, 600000);
    c.sse_resume_window_ms =
        get_number<std::uint32_t>(root["sse"], "resume_window_ms", "sse", 30000, 1000, 3600000);
  }
  if (root.contains("ws")) {
    only_keys(root["ws"], "ws", {"ping_interval_ms"});
    c.ws_ping_interval_ms =
        get_number<std::uint32_t>(root["ws"], "ping_interval_ms", "ws", 20000, 1000, 600000);
  }
  if (root.contains("webtransport")) {
    c.webtransport = parse_webtransport(root["webtransport"], c, base_dir);
  }
  c.web_root = resolve(get_string(root, "web_root", "config", ""), base_dir);
  if (!c.web_root.empty() && !std::filesystem::is_directory(c.web_root)) {
    fail("web_root: '" + c.web_root + "' is not a folder (build the web files: scripts/build.sh)");
  }
  c.log_level = get_string(root, "log_level", "config", c.log_level);
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
      c.log_level != "error") {
    fail("log_level: must be debug, info, warn or error");
  }
  return c;
}

}  // namespace

const AppConfig* BridgeConfig::find_app(const std::string& id) const {
  for (const auto& app : apps) {
    if (app.id == id) return &app;
  }
  return nullptr;
}

std::optional<BridgeConfig> parse_config(const std::string& json_text, const std::string& base_dir,
                                         std::string& error) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    error = "config: not valid JSON";
    return std::nullopt;
  }
  try {
    return parse(root, base_dir);
  } catch (const ConfigError& e) {
    error = e.message;
  } catch (const json::exception& e) {
    error = std::string("config: ") + e.what();
  }
  return std::nullopt;
}

std::optional<BridgeConfig> load_config(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "config: cannot read '" + path + "'";
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  const auto slash = path.rfind('/');
  const std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parse_config(s.str(), base_dir, error);
}

const char* jwt_alg_name(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHS256:
      return "HS256";
    case JwtAlg::kRS256:
      return "RS256";
    case JwtAlg::kES256:
      return "ES256";
  }
  return "?";
}

}  // namespace laneway::bridge
