// Mosquitto 2.0 never sets TCP_NODELAY on a bridge's outgoing connection (`set_tcp_nodelay`
// covers accepted sockets only), so on an edge every small message to the core can wait
// for Nagle's algorithm behind the core's delayed ACK: tens of milliseconds at a few hundred
// messages a second (bench/cluster, docs/scale.md "Measured"). The plugin has no handle on
// that socket, so when the core link (re)connects the edge sets TCP_NODELAY on every
// connected TCP socket of the process, which is what `set_tcp_nodelay true` does for the
// others.
#pragma once

#include <cstddef>

namespace laneway::plugin {

// Returns how many sockets it set.
std::size_t set_nodelay_on_connected_tcp_sockets();

}  // namespace laneway::plugin
