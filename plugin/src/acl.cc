// ACL_CHECK: every subscribe, publish and delivery. Runs once per delivered message per
// subscriber, so it does no I/O on the hot path (principals are cached).
#include "acl_rules.h"
#include "callbacks.h"
#include "plugin_context.h"

namespace laneway::plugin {
namespace {

Access to_access(int access) {
  switch (access) {
    case MOSQ_ACL_READ:
      return Access::kRead;
    case MOSQ_ACL_WRITE:
      return Access::kWrite;
    case MOSQ_ACL_SUBSCRIBE:
      return Access::kSubscribe;
    default:
      return Access::kUnsubscribe;
  }
}

}  // namespace

int on_acl_check(int, void* event_data, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    const auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
    if (event->access == MOSQ_ACL_UNSUBSCRIBE) return MOSQ_ERR_SUCCESS;
    const char* username = mosquitto_client_username(event->client);
    if (!username || !event->topic) return MOSQ_ERR_ACL_DENIED;
    const Principal* principal = ctx.principal_for(username);
    if (!principal) return MOSQ_ERR_ACL_DENIED;
    const char* client_id = mosquitto_client_id(event->client);
    return acl_allows(*principal, client_id ? client_id : "", to_access(event->access),
                      event->topic)
               ? MOSQ_ERR_SUCCESS
               : MOSQ_ERR_ACL_DENIED;
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in ACL handler; access denied");
    return MOSQ_ERR_ACL_DENIED;
  }
}

}  // namespace laneway::plugin
