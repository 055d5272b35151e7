// A libwebsockets timer that re-arms itself, so a loop around lws_service / ev_run returns at
// least every `period_us` and can look at its clocks (lws otherwise sleeps until the next
// socket event, which never comes when something is wrong).
#pragma once

#include <libwebsockets.h>

namespace laneway::bench {

class LwsTick {
 public:
  LwsTick(struct lws_context* context, lws_usec_t period_us) : timer_{{}, context, period_us} {
    lws_sul_schedule(context, 0, &timer_.sul, &LwsTick::fire, period_us);
  }
  ~LwsTick() {
    lws_sul_schedule(timer_.context, 0, &timer_.sul, nullptr, LWS_SET_TIMER_USEC_CANCEL);
  }
  LwsTick(const LwsTick&) = delete;
  LwsTick& operator=(const LwsTick&) = delete;

 private:
  struct Timer {  // standard layout, for lws_container_of
    lws_sorted_usec_list_t sul;
    struct lws_context* context;
    lws_usec_t period_us;
  };
  static void fire(lws_sorted_usec_list_t* sul) {
    Timer* t = lws_container_of(sul, Timer, sul);
    lws_sul_schedule(t->context, 0, &t->sul, &LwsTick::fire, t->period_us);
  }
  Timer timer_;
};

}  // namespace laneway::bench
