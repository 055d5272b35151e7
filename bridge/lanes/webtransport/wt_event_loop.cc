#include "wt_event_loop.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lws_callback_guard.h"

namespace laneway::bridge {
namespace {

constexpr lws_usec_t kSecondUs = 1'000'000;

int callback_wt(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                std::size_t len) {
  switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
      if (auto* loop = static_cast<WtEventLoop*>(lws_get_opaque_user_data(wsi))) {
        loop->on_readable();
      }
      return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      // lws closes its duplicate of the descriptor; the QUIC server keeps the original.
      return 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

const struct lws_protocols kWtLaneProtocol = {
    "laneway-wt", guarded_lws_callback<callback_wt>, 0, 0, 0, nullptr, 0};

WtEventLoop::WtEventLoop(webtransport::Server& server, Hooks hooks)
    : server_(server), hooks_(std::move(hooks)) {
  expiry_.loop = deferred_.loop = second_.loop = this;
}

WtEventLoop::~WtEventLoop() {
  detach();
}

bool WtEventLoop::attach(struct lws_context* context, struct lws_vhost* vhost, std::string& error) {
  context_ = context;
  for (int fd : server_.fds()) {
    // lws closes what it adopts; it gets a duplicate so each side closes its own.
    const int dup_fd = ::dup(fd);
    if (dup_fd < 0) {
      error = std::string("wt: dup: ") + std::strerror(errno);
      return false;
    }
    lws_adopt_desc_t desc;
    std::memset(&desc, 0, sizeof desc);
    desc.vh = vhost;
    desc.type = LWS_ADOPT_RAW_FILE_DESC;
    desc.fd.filefd = dup_fd;
    desc.vh_prot_name = kWtLaneProtocol.name;
    desc.opaque = this;
    struct lws* wsi = lws_adopt_descriptor_vhost_via_info(&desc);
    if (!wsi) {  // lws closed dup_fd
      error = "wt: libwebsockets refused the UDP socket";
      return false;
    }
    adopted_.push_back(wsi);
  }
  lws_sul_schedule(context_, 0, &second_.sul, guarded_lws_timer<&WtEventLoop::on_second>,
                   kSecondUs);
  rearm();
  return true;
}

void WtEventLoop::detach() {
  if (!context_) return;
  lws_sul_cancel(&expiry_.sul);
  lws_sul_cancel(&deferred_.sul);
  lws_sul_cancel(&second_.sul);
  adopted_.clear();  // lws closes them with the context
  context_ = nullptr;
}

void WtEventLoop::defer() {
  if (!context_ || deferred_armed_) return;
  deferred_armed_ = true;
  lws_sul_schedule(context_, 0, &deferred_.sul, guarded_lws_timer<&WtEventLoop::on_deferred>, 0);
}

void WtEventLoop::rearm() {
  if (!context_) return;
  const int ms = server_.timeout_ms();
  if (ms < 0) {
    lws_sul_cancel(&expiry_.sul);
    return;
  }
  lws_sul_schedule(context_, 0, &expiry_.sul, guarded_lws_timer<&WtEventLoop::on_expiry>,
                   static_cast<lws_usec_t>(ms) * 1000);
}

void WtEventLoop::on_readable() {
  server_.on_readable();
  rearm();
}

void WtEventLoop::on_expiry(lws_sorted_usec_list_t* sul) {
  WtEventLoop& self = *reinterpret_cast<Timer*>(sul)->loop;
  self.server_.on_timer();
  self.rearm();
}

void WtEventLoop::on_deferred(lws_sorted_usec_list_t* sul) {
  WtEventLoop& self = *reinterpret_cast<Timer*>(sul)->loop;
  self.deferred_armed_ = false;
  if (self.hooks_.deferred) self.hooks_.deferred();
  self.rearm();
}

void WtEventLoop::on_second(lws_sorted_usec_list_t* sul) {
  WtEventLoop& self = *reinterpret_cast<Timer*>(sul)->loop;
  lws_sul_schedule(self.context_, 0, &self.second_.sul, guarded_lws_timer<&WtEventLoop::on_second>,
                   kSecondUs);
  if (self.hooks_.second) self.hooks_.second();
  self.rearm();
}

}  // namespace laneway::bridge
