// The broker event callbacks. Mosquitto calls them through C function pointers, so each is
// noexcept and catches everything: an exception must never unwind into the broker.
#pragma once

namespace laneway::plugin {

int on_basic_auth(int event, void* event_data, void* userdata) noexcept;  // auth.cc
int on_acl_check(int event, void* event_data, void* userdata) noexcept;   // acl.cc
int on_message(int event, void* event_data, void* userdata) noexcept;     // message.cc
int on_disconnect(int event, void* event_data, void* userdata) noexcept;  // presence.cc
int on_tick(int event, void* event_data, void* userdata) noexcept;        // revocation.cc

}  // namespace laneway::plugin
