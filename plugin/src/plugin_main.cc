// laneway_plugin.so: the Mosquitto 2.0 plugin (API v5) entry points. Loads the options,
// opens the registry read-only, reads the CRL and the epoch/seq state, and registers the
// event callbacks. See docs/plugin.md.
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <new>

#include "callbacks.h"
#include "core_publisher.h"
#include "plugin_context.h"
#include "presence.h"
#include "revocation.h"

namespace laneway::plugin {
namespace {

struct Registration {
  int event;
  MOSQ_FUNC_generic_callback callback;
};

constexpr Registration kCallbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth},
    {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_MESSAGE, on_message},
    {MOSQ_EVT_DISCONNECT, on_disconnect},
    {MOSQ_EVT_TICK, on_tick},
};

void unregister_all(PluginContext& ctx) {
  for (const auto& registration : kCallbacks)
    mosquitto_callback_unregister(ctx.plugin_id, registration.event, registration.callback,
                                  nullptr);
}

const char* describe(Sequencer::StartKind kind) {
  switch (kind) {
    case Sequencer::StartKind::kFresh:
      return "first start";
    case Sequencer::StartKind::kResumed:
      return "resumed after a clean shutdown";
    case Sequencer::StartKind::kNewEpochAfterUncleanStop:
      return "new epoch: the previous run did not shut down cleanly";
  }
  return "";
}

// Everything that can fail at load time; on failure the broker refuses to start, which is
// better than running with auth that cannot check the registry or the CRL.
bool load(PluginContext& ctx, const OptionList& options, std::string* error) {
  auto config = parse_plugin_config(options, error);
  if (!config) return false;
  ctx.config = std::move(*config);
  if (ctx.is_edge()) {
    ctx.replica = std::make_unique<ReplicaDirectory>();
  } else {
    ctx.registry = registry::Registry::open_read_only(ctx.config.registry_path, error);
    if (!ctx.registry) return false;
  }
  ctx.registry_version = ctx.directory_version();
  ctx.changed_devices();  // the journal position to start from; nobody is connected yet
  if (!ctx.config.ca_path.empty()) {
    ctx.ca.reset(read_pem_certificate(ctx.config.ca_path, error));
    if (!ctx.ca) return false;
  }
  if (!ctx.config.crl_path.empty()) {
    bool changed = false;
    if (!reload_crl_if_changed(ctx, &changed, error)) return false;
  }

  ctx.sequencer =
      Sequencer(ctx.config.max_topics,
                ctx.is_core() ? std::optional<std::uint32_t>(ctx.config.core_index) : std::nullopt);
  std::optional<PluginState> previous;
  bool unreadable = false;
  if (!ctx.config.state_path.empty()) {
    std::string state_error;
    previous = read_state_file(ctx.config.state_path, &state_error);
    if (!previous && !state_error.empty()) {
      unreadable = true;
      log(MOSQ_LOG_WARNING, "laneway: %s; starting a new epoch", state_error.c_str());
    }
  }
  const auto kind = ctx.sequencer.start(previous, unix_seconds(), unreadable);
  // An edge sequences nothing (the core does); its state file keeps only who was online.
  if (!ctx.is_edge())
    log(MOSQ_LOG_NOTICE, "laneway: epoch %llu (%s), %zu topics resumed",
        static_cast<unsigned long long>(ctx.sequencer.epoch()), describe(kind),
        ctx.sequencer.topic_count());
  // Mark the run as in progress: if the broker dies without cleanup, the next start sees
  // `running` and begins a new epoch.
  if (!ctx.save_state(false, error)) return false;
  // Presence the previous run could not retract. Queued now, delivered before any client
  // is served (the broker drains plugin messages at the top of its loop).
  if (previous) presence_correct_stale(ctx, previous->online);
  if (ctx.is_core()) {
    // The run's generation must grow from run to run (edges drop records of older runs).
    ctx.registry_publisher.emplace(static_cast<std::uint64_t>(unix_micros()));
    if (!core_publish_initial(ctx, error)) return false;
  }
  return true;
}

}  // namespace
}  // namespace laneway::plugin

using laneway::plugin::PluginContext;

// The module is built with hidden visibility; only these three are exported.
#define LANEWAY_PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {

LANEWAY_PLUGIN_EXPORT int mosquitto_plugin_version(int supported_version_count,
                                                   const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

LANEWAY_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                                struct mosquitto_opt* options, int option_count) {
  try {
    auto ctx = std::make_unique<PluginContext>();
    ctx->plugin_id = identifier;
    laneway::plugin::OptionList list;
    for (int i = 0; i < option_count; ++i)
      list.emplace_back(options[i].key ? options[i].key : "",
                        options[i].value ? options[i].value : "");
    std::string error;
    if (!laneway::plugin::load(*ctx, list, &error)) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "laneway: plugin not loaded: %s", error.c_str());
      return MOSQ_ERR_INVAL;
    }
    for (const auto& registration : laneway::plugin::kCallbacks) {
      const int rc = mosquitto_callback_register(identifier, registration.event,
                                                 registration.callback, nullptr, ctx.get());
      if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "laneway: cannot register callback %d: %s",
                             registration.event, mosquitto_strerror(rc));
        laneway::plugin::unregister_all(*ctx);
        return rc;
      }
    }
    mosquitto_log_printf(MOSQ_LOG_INFO, "laneway: plugin loaded (role %s), %zu mapped filters",
                         laneway::plugin::to_string(ctx->config.role),
                         ctx->config.map_filters.size());
    *userdata = ctx.release();
    return MOSQ_ERR_SUCCESS;
  } catch (const std::bad_alloc&) {
    return MOSQ_ERR_NOMEM;
  } catch (...) {
    return MOSQ_ERR_UNKNOWN;
  }
}

LANEWAY_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  std::unique_ptr<PluginContext> ctx(static_cast<PluginContext*>(userdata));
  if (!ctx) return MOSQ_ERR_SUCCESS;
  try {
    laneway::plugin::unregister_all(*ctx);
    std::string error;
    if (ctx->save_state(true, &error)) {
      mosquitto_log_printf(MOSQ_LOG_INFO, "laneway: state saved (epoch %llu, %zu topics)",
                           static_cast<unsigned long long>(ctx->sequencer.epoch()),
                           ctx->sequencer.topic_count());
    } else {
      mosquitto_log_printf(MOSQ_LOG_ERR, "laneway: %s", error.c_str());
    }
  } catch (...) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "laneway: internal error during cleanup");
  }
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
