#include "metrics_probe.h"

#include <libwebsockets.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include "lws_tick.h"

namespace laneway::bench {
namespace {

constexpr std::size_t kMaxBody = 4 << 20;  // /metrics is a few KB; anything near this is wrong

struct Fetch {
  std::string body;
  bool done = false;
  bool ok = false;
};

int callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
             std::size_t len) {
  auto* f = static_cast<Fetch*>(user);
  switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (f) f->done = true;
      return 0;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      if (f && lws_http_client_http_response(wsi) != 200) {
        f->done = true;
        return -1;
      }
      return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
      if (!f || f->body.size() + len > kMaxBody) return -1;
      f->body.append(static_cast<const char*>(in), len);
      return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
      // lws hands the body over through RECEIVE_CLIENT_HTTP_READ from inside this read.
      char buffer[LWS_PRE + 4096];
      char* p = buffer + LWS_PRE;
      int n = static_cast<int>(sizeof buffer - LWS_PRE);
      return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
      if (f) {
        f->ok = true;
        f->done = true;
      }
      return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      if (f) f->done = true;
      return 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

struct ContextDeleter {
  void operator()(struct lws_context* ctx) const { lws_context_destroy(ctx); }
};

}  // namespace

std::optional<std::map<std::string, double>> fetch_metrics(int port, const std::string& server_name,
                                                           const std::string& ca_file,
                                                           int timeout_ms) {
  static const struct lws_protocols protocols[] = {{"metrics-probe", callback, 0, 0, 0, nullptr, 0},
                                                   {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
  lws_set_log_level(LLL_ERR, nullptr);
  struct lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.client_ssl_ca_filepath = ca_file.c_str();
  std::unique_ptr<struct lws_context, ContextDeleter> ctx(lws_create_context(&info));
  if (!ctx) return std::nullopt;
  LwsTick tick(ctx.get(), 20'000);

  Fetch fetch;
  struct lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = ctx.get();
  ci.address = "127.0.0.1";
  ci.port = port;
  ci.ssl_connection = LCCSCF_USE_SSL;
  ci.path = "/metrics";
  ci.host = server_name.c_str();
  ci.origin = server_name.c_str();
  ci.method = "GET";
  ci.alpn = "http/1.1";
  ci.protocol = protocols[0].name;
  ci.userdata = &fetch;
  if (!lws_client_connect_via_info(&ci)) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!fetch.done && std::chrono::steady_clock::now() < deadline) lws_service(ctx.get(), 0);
  if (!fetch.ok) return std::nullopt;

  // Prometheus text: "name{labels} value" per sample, '#' lines are help and type.
  std::map<std::string, double> samples;
  std::istringstream lines(fetch.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return samples;
}

}  // namespace laneway::bench
