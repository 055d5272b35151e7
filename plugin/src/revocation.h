// Live revocation (docs/plugin.md "Live revocation"). Mosquitto 2.0 reads `crlfile` once at start,
// so the plugin watches the CRL file and the registry itself, from the TICK event (at least every
// 100 ms): every `revocation_poll_ms` it re-reads the CRL when its stamp (inode, size,
// mtime) changed and, when the registry's data_version moved, re-checks the connected
// devices its change journal names (every connected device when it cannot say).
// Revoked clients are kicked by username; the auth handler refuses them from then on.
#pragma once

#include "plugin_context.h"

namespace laneway::plugin {

// (Re)loads the CRL if it changed. Returns false (with `error`) when it changed but could
// not be read; the previous revoked set stays in force.
bool reload_crl_if_changed(PluginContext& ctx, bool* changed, std::string* error);

}  // namespace laneway::plugin
