// The admin listener's vhost: one more listening socket in the same lws context (so its
// routes run on the event loop and read the hub directly), TLS with the bridge's own
// certificate, every path handled by the admin routes (docs/bridge.md "The admin listener").
#include <cstring>

#include "server.h"

namespace laneway::bridge {

bool Server::start_admin(std::string& error) {
  static const struct lws_protocols protocols[] = {kAdminRoutesProtocol,
                                                   {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
  static const struct lws_http_mount mount = [] {
    struct lws_http_mount m;
    std::memset(&m, 0, sizeof m);
    m.mountpoint = "/";
    m.mountpoint_len = 1;
    m.origin = "laneway-admin";
    m.protocol = "laneway-admin";
    m.origin_protocol = LWSMPRO_CALLBACK;
    return m;
  }();
  const ListenAddress& addr = config_.admin.listen;
  struct lws_context_creation_info vh;
  std::memset(&vh, 0, sizeof vh);
  // Port 0 binds a free port (lws' "no listener" is -1); admin_port() reads which one.
  vh.port = addr.port;
  vh.iface = addr.host.c_str();
  vh.protocols = protocols;
  vh.mounts = &mount;
  vh.vhost_name = "laneway-admin";
  vh.ssl_cert_filepath = config_.tls.cert_file.c_str();
  vh.ssl_private_key_filepath = config_.tls.key_file.c_str();
  vh.alpn = "http/1.1";  // scrapers and probes speak HTTP/1.1; nothing here needs h2
  vh.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | listen_family_options(addr.host);
  admin_vhost_ = lws_create_vhost(context_, &vh);
  if (!admin_vhost_) {
    error = "admin: cannot listen on " + addr.host + ":" + std::to_string(addr.port) +
            " (port in use, bad address, or TLS files not loadable)";
    return false;
  }
  return true;
}

int Server::admin_port() const {
  return admin_vhost_ ? lws_get_vhost_listen_port(admin_vhost_) : -1;
}

}  // namespace laneway::bridge
