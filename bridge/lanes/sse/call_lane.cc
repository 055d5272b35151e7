// POST /v1/call: one Frame{call} per request body (application/x-protobuf); the reply is
// the response body. Without a session, only `connect` is accepted: it creates an SSE
// session (waiting for its GET /v1/sse stream) and answers with its session_id. Later
// requests name the session with the `X-Laneway-Session` header (or `?session=`) and carry
// its JWT in `Authorization: Bearer` (docs/bridge.md "SSE attach tickets").
//
// A connect or subscribe the hub holds for the broker's SUBACK (docs/bridge.md "Resume")
// keeps its HTTP transaction open until the hub answers: the reply is the response, as
// for every other call, only later.
#include <openssl/crypto.h>

#include <memory>
#include <string>

#include "authorization.h"
#include "bearer_token.h"
#include "http_status.h"
#include "http_util.h"
#include "jwt_verifier.h"
#include "laneway/wire/frame_codec.h"
#include "lws_callback_guard.h"
#include "server.h"

namespace laneway::bridge {
namespace {

constexpr const char* kProtobuf = "application/x-protobuf";

// Where the hub's reply to one request lands. The Reply the hub may keep holds it weakly:
// when the connection goes first, the request and its only strong reference go with it,
// and a late reply finds nobody to answer.
struct ReplySlot {
  struct lws* wsi = nullptr;
  std::string frame;                                 // the encoded reply, once there is one
  v1::ErrorCode error = v1::ERROR_CODE_UNSPECIFIED;  // the reply's, when it is an error
  bool ready = false;
  bool held = false;  // the hub kept the Reply: a reply must wake the connection to be sent
};

struct PerRequest {
  std::string origin;
  // The app this request is known to act for (its session's, or the one its connect named):
  // only that app's origins may read the response. Unset until known.
  const AppConfig* app = nullptr;
  std::string session_id;
  std::string authorization;  // the Authorization header: `Bearer <the session's JWT>`
  std::string body;
  bool too_large = false;
  // Answered before its body arrived (404, 405, preflight): the body is then ignored.
  bool answered_early = false;
  http::PendingResponse response;
  std::shared_ptr<ReplySlot> reply;  // set while a reply is expected
  // The session this request's connect created: a refused connect closes it.
  std::string created_session;
};
struct PerSession {
  PerRequest* req;
};

// A token of the session's app, for the session's subject, unexpired.
bool bearer_matches(Session& s, std::string_view authorization, std::int64_t now_us) {
  const auto token = bearer_credentials(authorization);
  if (!s.app || !token) return false;
  const std::int64_t now_s = now_us / 1'000'000;
  if (now_s < s.verified_bearer_expires_at_s && token->size() == s.verified_bearer.size() &&
      CRYPTO_memcmp(token->data(), s.verified_bearer.data(), token->size()) == 0) {
    return true;
  }
  TokenClaims claims;
  if (verify_token(*s.app, *token, now_s, claims) != TokenError::kOk ||
      claims.subject != s.claims.subject) {
    return false;
  }
  s.verified_bearer.assign(*token);
  s.verified_bearer_expires_at_s = claims.expires_at_s;
  return true;
}

bool any_app_allows(const BridgeConfig& config, const std::string& origin) {
  for (const AppConfig& app : config.apps) {
    if (origin_allowed(app, origin)) return true;
  }
  return false;
}

// A response is readable by a page only from an origin its app accepts (before the app is
// known, some app's): other sites' pages get the response without the header, which the
// browser then withholds from them, refusals included (docs/bridge.md "Origins").
http::Headers cors(const BridgeConfig& config, const PerRequest& req) {
  if (req.origin.empty()) return {};
  const bool allowed =
      req.app ? origin_allowed(*req.app, req.origin) : any_app_allows(config, req.origin);
  if (!allowed) return {{"vary", "Origin"}};
  return {{"access-control-allow-origin", req.origin}, {"vary", "Origin"}};
}

http::Headers cors(struct lws* wsi, const PerRequest& req) {
  return cors(Server::from(wsi).config(), req);
}

std::string frame_bytes(const v1::CallFrame& call) {
  v1::Frame f;
  *f.mutable_call() = call;
  std::string out;
  wire::encode_frame(f, out, std::size_t{64} << 20);
  return out;
}

int reply_error(struct lws* wsi, PerRequest& req, unsigned status, v1::ErrorCode code,
                const std::string& message, std::uint32_t id = 0) {
  return http::respond(wsi, req.response, status, kProtobuf,
                       frame_bytes(Hub::error_frame(id, code, message)), cors(wsi, req));
}

int preflight(struct lws* wsi, PerRequest& req, const BridgeConfig& config) {
  if (req.origin.empty() || !any_app_allows(config, req.origin)) {
    return http::respond(wsi, req.response, 403, "text/plain", "origin not allowed\n");
  }
  http::Headers h = cors(config, req);
  h.emplace_back("access-control-allow-methods", "POST");
  h.emplace_back("access-control-allow-headers", "content-type, x-laneway-session, authorization");
  h.emplace_back("access-control-max-age", "600");
  return http::respond(wsi, req.response, 204, "text/plain", "", h);
}

int complete(struct lws* wsi, PerRequest& req) {
  Server& server = Server::from(wsi);
  Hub& hub = server.hub();
  const std::int64_t now = Server::now_us();
  auto& counters = hub.metrics().lane(Lane::kSse);
  counters.frames_in++;
  counters.bytes_in += req.body.size();
  if (req.too_large) {
    return reply_error(
        wsi, req, 413, v1::ERROR_CODE_TOO_LARGE,
        "frame over " + std::to_string(hub.config().limits.max_frame_bytes) + " bytes");
  }
  v1::Frame frame;
  const wire::WireError err =
      wire::decode_frame(req.body, frame, hub.config().limits.max_frame_bytes);
  if (err != wire::WireError::kOk || !frame.has_call()) {
    return reply_error(wsi, req, 400, v1::ERROR_CODE_BAD_REQUEST,
                       err != wire::WireError::kOk ? wire::describe(err) : "not a CallFrame");
  }
  const v1::CallFrame& call = frame.call();
  req.reply = std::make_shared<ReplySlot>();
  req.reply->wsi = wsi;
  const Hub::Reply capture = [slot = std::weak_ptr<ReplySlot>(req.reply)](const v1::CallFrame& r) {
    const std::shared_ptr<ReplySlot> s = slot.lock();
    if (!s || s->ready) return;
    s->frame = frame_bytes(r);
    s->error = r.has_error() ? r.error().code() : v1::ERROR_CODE_UNSPECIFIED;
    s->ready = true;
    if (s->held) lws_callback_on_writable(s->wsi);  // answered from outside this request
  };

  CallOutcome outcome;
  if (req.session_id.empty()) {
    if (call.body_case() != v1::CallFrame::kConnect) {
      return reply_error(wsi, req, 401, v1::ERROR_CODE_UNAUTHORIZED, "connect first", call.id());
    }
    Session* s = hub.open(Lane::kSse, nullptr, req.origin, now);
    if (!s) return reply_error(wsi, req, 503, v1::ERROR_CODE_UNAVAILABLE, "bridge full", call.id());
    hub.detach(*s, now);  // until its event stream attaches
    outcome = hub.handle_call(*s, call, capture, now);
    req.app = s->app ? s->app : hub.config().find_app(call.connect().app_id());
    if (s->closing && !outcome.is_held()) {
      // Refused, or ended by its own replay: the session is gone and this response carries
      // its final error.
      const Session::FinalError error = s->final_error;
      req.reply.reset();
      hub.close(s);
      return http::respond(wsi, req.response, connect_refusal_status(error.code), kProtobuf,
                           frame_bytes(Hub::error_frame(error.call_id, error.code, error.message,
                                                        error.retry_after_ms)),
                           cors(wsi, req));
    }
    req.created_session = s->id;
  } else {
    Session* s = hub.find(req.session_id);
    if (!s || s->lane != Lane::kSse) {
      return reply_error(wsi, req, 401, v1::ERROR_CODE_UNAUTHORIZED, "unknown session", call.id());
    }
    req.app = s->app;
    if (s->app && !origin_allowed(*s->app, req.origin)) {
      return reply_error(wsi, req, 403, v1::ERROR_CODE_FORBIDDEN, "origin not allowed", call.id());
    }
    // The session id travels in URLs; the JWT in this header is what authenticates the call.
    if (!bearer_matches(*s, req.authorization, now)) {
      return reply_error(wsi, req, 401, v1::ERROR_CODE_UNAUTHORIZED,
                         "Authorization: Bearer <the session's token> required", call.id());
    }
    outcome = hub.handle_call(*s, call, capture, now);
  }
  if (outcome.is_held()) {
    // The hub answers once the broker acknowledged the subscription (or gave up); the
    // transaction stays open until then and is answered from HTTP_WRITEABLE.
    req.reply->held = true;
    // Should the session close first, the hub drops the answer without a word; this
    // bounds how long the transaction can then stay open.
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK,
                    static_cast<int>(kSubscribeAckTimeoutUs / 1'000'000) + 5);
    return 0;
  }
  std::string reply = req.reply->ready ? std::move(req.reply->frame) : std::string();
  req.reply.reset();
  req.created_session.clear();
  if (reply.empty()) {
    // Nothing to answer here (the session was closed with an error on its stream).
    return http::respond(wsi, req.response, 202, kProtobuf, "", cors(wsi, req));
  }
  counters.frames_out++;
  counters.bytes_out += reply.size();
  return http::respond(wsi, req.response, 200, kProtobuf, std::move(reply), cors(wsi, req));
}

// HTTP_WRITEABLE after the hub answered a held request.
int answer_held(struct lws* wsi, PerRequest& req) {
  std::string reply = std::move(req.reply->frame);
  const v1::ErrorCode error = req.reply->error;
  req.reply.reset();
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  Hub& hub = Server::from(wsi).hub();
  unsigned status = 200;
  if (!req.created_session.empty()) {
    Session* s = hub.find(req.created_session);
    if (s && s->closing) {
      // Its connect was refused: this response carries the error, and nothing else will.
      hub.close(s);
      status = connect_refusal_status(error);
    }
  }
  auto& counters = hub.metrics().lane(Lane::kSse);
  counters.frames_out++;
  counters.bytes_out += reply.size();
  return http::respond(wsi, req.response, status, kProtobuf, std::move(reply), cors(wsi, req));
}

int callback_call(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                  std::size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP: {
      delete pss->req;
      pss->req = new PerRequest();
      PerRequest& req = *pss->req;
      req.origin = http::header(wsi, WSI_TOKEN_ORIGIN, 512);
      req.answered_early = true;  // until the request is known to be a call
      const http::Method method = http::request_method(wsi);
      if (http::request_path(wsi) != "/v1/call") {
        return http::respond(wsi, req.response, 404, "text/plain", "not found\n");
      }
      if (!Server::from(wsi).config().lanes.sse) {
        return http::respond(wsi, req.response, 404, "text/plain", "the SSE lane is disabled\n");
      }
      if (method == http::Method::kOptions) return preflight(wsi, req, Server::from(wsi).config());
      if (method != http::Method::kPost) {
        return http::respond(wsi, req.response, 405, "text/plain", "POST only\n");
      }
      req.answered_early = false;
      req.session_id = http::custom_header(wsi, "x-laneway-session", 64);
      req.authorization = http::header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, kMaxTokenBytes + 16);
      if (req.session_id.empty()) req.session_id = http::query_arg(wsi, "session", 64).value_or("");
      return 0;  // the body follows
    }
    case LWS_CALLBACK_HTTP_BODY: {
      if (!pss->req) return -1;
      PerRequest& req = *pss->req;
      if (req.answered_early) return 0;
      const std::size_t max = Server::from(wsi).config().limits.max_frame_bytes;
      if (!req.too_large && req.body.size() + len <= max) {
        req.body.append(static_cast<const char*>(in), len);
      } else {
        req.too_large = true;
        req.body.clear();
      }
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (!pss->req) return -1;
      if (pss->req->answered_early) return 0;
      return complete(wsi, *pss->req);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (!pss->req) return -1;
      if (pss->req->reply && pss->req->reply->ready && !pss->req->response.active) {
        return answer_held(wsi, *pss->req);
      }
      return http::write_pending(wsi, pss->req->response);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (pss) {
        delete pss->req;
        pss->req = nullptr;
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

const struct lws_protocols kCallLaneProtocol = {
    "laneway-call", guarded_lws_callback<callback_call>, sizeof(PerSession), 0, 0, nullptr, 0};

}  // namespace laneway::bridge
