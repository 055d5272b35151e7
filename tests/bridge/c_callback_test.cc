// The C-boundary guards (docs/architecture.md "C boundaries"): a throwing libwebsockets or
// libmosquitto handler is turned into that library's "close this connection" answer instead
// of unwinding through C frames into std::terminate.
#include "c_callback.h"

#include <gtest/gtest.h>
#include <libwebsockets.h>
#include <mosquitto.h>

#include <memory>
#include <new>
#include <stdexcept>

#include "lws_callback_guard.h"
#include "mosquitto_callback_guard.h"

namespace laneway::bridge {
namespace {

int lws_answers_7(struct lws*, enum lws_callback_reasons, void*, void*, std::size_t) {
  return 7;
}
int lws_throws(struct lws*, enum lws_callback_reasons, void*, void*, std::size_t) {
  throw std::bad_alloc();
}

TEST(CCallback, ThrownExceptionsBecomeTheFailureValue) {
  EXPECT_EQ(run_c_callback("test", -1, [] { return 3; }), 3);
  EXPECT_EQ(run_c_callback("test", -1, []() -> int { throw std::runtime_error("no"); }), -1);
  EXPECT_EQ(run_c_callback("test", -1, []() -> int { throw 42; }), -1);  // not std::exception
}

TEST(CCallback, LwsHandlerThatThrowsClosesItsConnection) {
  EXPECT_EQ((guarded_lws_callback<lws_answers_7>(nullptr, LWS_CALLBACK_HTTP, nullptr, nullptr, 0)),
            7);
  // -1 is how an lws callback asks for its wsi, and only it, to be closed.
  EXPECT_EQ((guarded_lws_callback<lws_throws>(nullptr, LWS_CALLBACK_HTTP, nullptr, nullptr, 0)),
            -1);
}

int timer_runs = 0;
void timer_throws(lws_sorted_usec_list_t*) {
  ++timer_runs;
  throw std::runtime_error("tick failure on purpose");
}

TEST(CCallback, LwsTimerThatThrowsIsContained) {
  guarded_lws_timer<timer_throws>(nullptr);
  EXPECT_EQ(timer_runs, 1);
}

struct Seen {
  int mid = 0;
  int reason = 0;
};
void record_publish(struct mosquitto*, void* self, int mid, int reason, const mosquitto_property*) {
  *static_cast<Seen*>(self) = Seen{mid, reason};
}
void throw_on_publish(struct mosquitto*, void*, int, int, const mosquitto_property*) {
  throw std::runtime_error("handler failure on purpose");
}

TEST(CCallback, MosquittoHandlerGetsItsArgumentsAndMayThrow) {
  mosquitto_lib_init();
  std::unique_ptr<struct mosquitto, decltype(&mosquitto_destroy)> m(
      mosquitto_new("c-callback-test", true, nullptr), &mosquitto_destroy);
  ASSERT_TRUE(m);
  Seen seen;
  MosquittoCallbackGuard<&record_publish>::call(m.get(), &seen, 12, 0x10, nullptr);
  EXPECT_EQ(seen.mid, 12);
  EXPECT_EQ(seen.reason, 0x10);
  // Unconnected, the guard's disconnect has nothing to close; what matters is that the
  // exception stops here.
  MosquittoCallbackGuard<&throw_on_publish>::call(m.get(), &seen, 13, 0, nullptr);
  SUCCEED();
}

}  // namespace
}  // namespace laneway::bridge
