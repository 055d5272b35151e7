#include "sse_lane.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "authorization.h"
#include "http_status.h"
#include "http_util.h"
#include "jwt_verifier.h"
#include "lws_callback_guard.h"
#include "server.h"

namespace laneway::bridge {
namespace {

constexpr std::size_t kWriteBudget = 32 * 1024;  // bytes of events per writable callback

// Per-request state, heap-allocated: lws hands us zeroed memory, fit only for a pointer.
struct PerRequest {
  SseStream* stream = nullptr;
  http::PendingResponse refusal;  // a refused request's status body
};
struct PerSession {
  PerRequest* req;
};

int refuse(struct lws* wsi, PerRequest& req, unsigned status, const std::string& message) {
  return http::respond(wsi, req.refusal, status, "text/plain", message + "\n");
}

// Replays what the session missed and returns the position the new stream's event ids
// start from: the client's own, so that no id (not even the connect reply's, written
// first) vouches for a replayed envelope the client has not received yet. Should this
// stream drop mid-replay, the next Last-Event-ID asks for the rest again.
std::uint64_t resume(Hub& hub, Session& s, const std::string& last_event_id) {
  std::string instance;
  std::uint64_t offset = 0;
  if (parse_resume_token(last_event_id, instance, offset) && instance == hub.instance_id()) {
    hub.resume_from_offset(s, offset);
    return std::min(offset, hub.history().last_offset());
  }
  // A token from another bridge or an earlier run: nothing can be vouched for.
  hub.resume_from_offset(s, std::numeric_limits<std::uint64_t>::max());
  return 0;
}

// The session still has a stream: usually one whose client is gone without lws knowing
// yet (over HTTP/1.1 it notices only when a write fails), so its client reconnecting now
// would be refused. The newer stream wins, since its client is the one that is there; the
// old one ends from its next writable callback, leaving the session alone.
void take_over(SseStream& stream, Session& s) {
  auto* old = static_cast<SseStream*>(s.sink);  // SSE sessions' sinks are SSE streams
  stream.owns_session = old->owns_session;
  old->session = nullptr;
  old->owns_session = false;
  s.sink = nullptr;
  lws_callback_on_writable(old->wsi_);
}

int start_stream(struct lws* wsi, SseStream& stream) {
  unsigned char buf[LWS_PRE + 1024];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf - 1;
  if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
                                  LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end)) {
    return -1;
  }
  auto add = [&](const char* name, const std::string& value) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end);
  };
  if (add("cache-control:", "no-store")) return -1;
  if (!stream.session->origin.empty()) {
    if (add("access-control-allow-origin:", stream.session->origin) || add("vary:", "Origin")) {
      return -1;
    }
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
  if (lws_get_network_wsi(wsi) != wsi) {
    lws_http_mark_sse(wsi);  // an h2 stream: exempt from the connection's idle timeout
  } else {
    // HTTP/1.1: what lws_http_mark_sse does there, minus an error log line per stream.
    lws_http_headers_detach(wsi);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  }
  stream.headers_sent = true;
  stream.heartbeat_due = true;  // an immediate comment flushes the headers through proxies
  lws_callback_on_writable(wsi);
  return 0;
}

int open_stream(struct lws* wsi, PerRequest& req) {
  Server& server = Server::from(wsi);
  Hub& hub = server.hub();
  const std::int64_t now = Server::now_us();
  if (http::request_method(wsi) != http::Method::kGet) return refuse(wsi, req, 405, "GET only");
  if (http::request_path(wsi) != "/v1/sse") return refuse(wsi, req, 404, "not found");
  if (!server.config().lanes.sse) return refuse(wsi, req, 404, "the SSE lane is disabled");
  const std::string origin = http::header(wsi, WSI_TOKEN_ORIGIN, 512);
  std::string last_event_id = http::custom_header(wsi, "last-event-id", 128);
  if (last_event_id.empty()) last_event_id = http::query_arg(wsi, "lastEventId", 128).value_or("");

  auto stream = std::make_unique<SseStream>(wsi, server);
  stream->position = hub.history().last_offset();
  if (auto session_id = http::query_arg(wsi, "session", 64)) {
    // Attach to a session created by `POST /v1/call` connect (the SDK's flow).
    Session* s = hub.find(*session_id);
    if (!s || s->lane != Lane::kSse || !s->authenticated) {
      return refuse(wsi, req, 404, "unknown session");
    }
    // The URL lands in proxy and access logs: it carries a single-use ticket, never the JWT
    // (docs/bridge.md "SSE attach tickets").
    if (!origin_allowed(*s->app, origin)) return refuse(wsi, req, 403, "origin not allowed");
    const std::string ticket = http::query_arg(wsi, "attach", 64).value_or("");
    if (!hub.spend_attach_ticket(*s, ticket, now)) {
      return refuse(wsi, req, 401, "attach ticket missing, spent or expired");
    }
    if (s->sink) take_over(*stream, *s);
    stream->session = s;
    stream->ticket_event = hub.issue_attach_ticket(*s, 0);
    if (!last_event_id.empty()) {
      s->queue.clear();  // what was queued may have been lost with the old stream
      stream->position = resume(hub, *s, last_event_id);
    }
    hub.attach(*s, stream.get());
  } else {
    // Standalone: everything in the URL (a native EventSource cannot set headers), which
    // the app must have opted into.
    const std::string app_id = http::query_arg(wsi, "app", 128).value_or("");
    const AppConfig* app = server.config().find_app(app_id);
    if (app && !app->sse_url_token) {
      return refuse(wsi, req, 401,
                    "app '" + app_id + "' takes no token in the URL: connect with POST /v1/call");
    }
    Session* s = hub.open(Lane::kSse, stream.get(), origin, now);
    if (!s) return refuse(wsi, req, 503, "bridge at its session limit");
    v1::CallFrame call;
    call.set_id(1);
    auto* c = call.mutable_connect();
    c->set_app_id(app_id);
    c->set_token(http::query_arg(wsi, "token", kMaxTokenBytes).value_or(""));
    c->set_client(http::query_arg(wsi, "client", 128).value_or(""));
    for (const std::string& f : http::query_args(wsi, "sub", 1024)) {
      c->add_subscriptions()->set_filter(f);
    }
    // The connect reply is the stream's first event, and a Last-Event-ID resume follows
    // it. Both happen here or, when the hub holds the answer for the broker's SUBACK, once
    // it answers: the stream is open by then, and a refusal is its last event. The session
    // ends with the stream, so the hub never calls this after `stream` is gone.
    SseStream* raw = stream.get();
    const CallOutcome outcome = hub.handle_call(
        *s, call,
        [&hub, s, raw, last_event_id](const v1::CallFrame& r) {
          hub.queue_call(*s, r);
          if (r.has_connect_result() && !last_event_id.empty()) {
            raw->position = resume(hub, *s, last_event_id);
          }
        },
        now);
    if (s->closing && !outcome.is_held()) {
      // Refused at once, or ended by its own replay: an HTTP status says so before any
      // stream starts, so a native EventSource stops instead of retrying.
      const Session::FinalError error = s->final_error;
      hub.close(s);
      return refuse(wsi, req, http_status_for(error.code), error.message);
    }
    stream->session = s;
    stream->owns_session = true;
  }
  req.stream = stream.release();
  server.add_stream(req.stream);
  return start_stream(wsi, *req.stream);
}

void append_event(std::string& out, const std::string& instance, std::uint64_t position,
                  const std::string& base64) {
  out += "id: ";
  out += instance;
  out += '.';
  out += std::to_string(position);
  out += "\ndata: ";
  out += base64;
  out += "\n\n";
}

int write_events(struct lws* wsi, SseStream& stream) {
  Session& s = *stream.session;
  Hub& hub = stream.server_.hub();
  LaneCounters& counters = hub.metrics().lane(Lane::kSse);
  // One write buffer for every stream (single-threaded loop; lws_write consumes or copies
  // the bytes before returning), so idle streams hold none.
  static std::string out;
  out.assign(LWS_PRE, '\0');
  if (!stream.ticket_event.empty()) {
    // Not a message event: it moves no Last-Event-ID and reaches no onmessage.
    out += "event: ticket\ndata: ";
    out += stream.ticket_event;
    out += "\n\n";
    stream.ticket_event.clear();
  }
  while (!s.queue.empty() && out.size() < kWriteBudget) {
    const QueuedFrame& item = s.queue.front();
    if (item.offset > stream.position) stream.position = item.offset;
    append_event(out, hub.instance_id(), stream.position, item.frame->base64());
    counters.frames_out++;
    counters.bytes_out += item.frame->size();
    s.queue.pop();
  }
  if (out.size() == LWS_PRE && stream.heartbeat_due) out += ": heartbeat\n\n";
  stream.heartbeat_due = false;
  const bool finished = s.closing && s.queue.empty();
  const std::size_t n = out.size() - LWS_PRE;
  if (n > 0) {
    if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, n,
                  finished ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != static_cast<int>(n)) {
      return -1;
    }
    stream.last_write_us = Server::now_us();
  }
  if (out.capacity() > 4 * kWriteBudget) out.shrink_to_fit();
  if (finished) return -1;  // the final error is out: end the stream
  if (!s.queue.empty()) lws_callback_on_writable(wsi);
  return 0;
}

void end_stream(PerRequest* req) {
  if (!req) return;
  if (!req->stream) {
    delete req;
    return;
  }
  SseStream* stream = req->stream;
  req->stream = nullptr;
  Server& server = stream->server_;
  server.remove_stream(stream);
  if (Session* s = stream->session) {
    if (stream->owns_session || s->closing) {
      server.hub().close(s);
    } else {
      server.hub().detach(*s, Server::now_us());
    }
  }
  delete stream;
  delete req;
}

int callback_sse(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                 std::size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      end_stream(pss->req);  // a kept-alive connection's previous request
      pss->req = new PerRequest();
      return open_stream(wsi, *pss->req);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      PerRequest* req = pss ? pss->req : nullptr;
      if (!req) return -1;
      if (req->refusal.active) return http::write_pending(wsi, req->refusal);
      if (!req->stream || !req->stream->session) return -1;
      return write_events(wsi, *req->stream);
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (pss) {
        end_stream(pss->req);
        pss->req = nullptr;
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

void SseStream::request_write() {
  if (headers_sent) lws_callback_on_writable(wsi_);
}

void SseStream::maybe_heartbeat(std::int64_t now_us) {
  const std::int64_t interval = std::int64_t{server_.config().sse_heartbeat_ms} * 1000;
  if (headers_sent && now_us - last_write_us >= interval) {
    heartbeat_due = true;
    lws_callback_on_writable(wsi_);
  }
}

bool parse_resume_token(const std::string& token, std::string& instance, std::uint64_t& offset) {
  const auto dot = token.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= token.size()) return false;
  instance = token.substr(0, dot);
  const char* first = token.data() + dot + 1;
  const char* last = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(first, last, offset);
  return ec == std::errc() && ptr == last;
}

const struct lws_protocols kSseLaneProtocol = {
    "laneway-sse", guarded_lws_callback<callback_sse>, sizeof(PerSession), 0, 0, nullptr, 0};

}  // namespace laneway::bridge
