// Runs the WebTransport QUIC server inside the bridge's libwebsockets event loop, so the
// hub is only ever touched by that one thread: each UDP socket is adopted into lws as a
// raw file descriptor (LWS_CALLBACK_RAW_RX_FILE = datagrams waiting), and ngtcp2's expiry
// is an lws_sul timer re-armed after every read, write and expiry.
#pragma once

#include <libwebsockets.h>

#include <functional>
#include <string>
#include <vector>

#include "laneway/webtransport/server.h"

namespace laneway::bridge {

class WtEventLoop {
 public:
  struct Hooks {
    std::function<void()> deferred;  // work asked for with defer() (the lane's writes)
    std::function<void()> second;    // once a second (certificate watch, close deadlines)
  };

  WtEventLoop(webtransport::Server& server, Hooks hooks);
  ~WtEventLoop();
  WtEventLoop(const WtEventLoop&) = delete;
  WtEventLoop& operator=(const WtEventLoop&) = delete;

  // Adopts the server's sockets into `vhost` (which must list kWtLaneProtocol) and starts
  // the timers. False and `error` if lws refuses a descriptor.
  bool attach(struct lws_context* context, struct lws_vhost* vhost, std::string& error);
  // Cancels the timers; call before the lws context is destroyed.
  void detach();

  // Runs Hooks::deferred from the event loop soon (never synchronously).
  void defer();
  // Re-arms the QUIC expiry timer from the server's next deadline.
  void rearm();

  // From the protocol handler.
  void on_readable();

 private:
  struct Timer {
    lws_sorted_usec_list_t sul;  // first member: callbacks cast back to Timer
    WtEventLoop* loop;
  };
  static void on_expiry(lws_sorted_usec_list_t* sul);
  static void on_deferred(lws_sorted_usec_list_t* sul);
  static void on_second(lws_sorted_usec_list_t* sul);

  webtransport::Server& server_;
  Hooks hooks_;
  struct lws_context* context_ = nullptr;
  std::vector<struct lws*> adopted_;
  Timer expiry_{}, deferred_{}, second_{};
  bool deferred_armed_ = false;
};

// The raw-descriptor protocol the UDP sockets are adopted under ("laneway-wt").
extern const struct lws_protocols kWtLaneProtocol;

}  // namespace laneway::bridge
