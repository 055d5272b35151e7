#include "plugin_config.h"

#include <gtest/gtest.h>

#include "broker_config.h"

namespace {

using laneway::plugin::parse_plugin_config;

TEST(PluginConfig, ParsesEveryOption) {
  std::string error;
  const auto config = parse_plugin_config({{"registry", "/r.db"},
                                           {"crl", "/crl.pem"},
                                           {"cafile", "/ca.crt"},
                                           {"map", "devices/#, fleet/#,broadcast/#"},
                                           {"state", "/s"},
                                           {"max_topics", "10"},
                                           {"revocation_poll_ms", "200"},
                                           {"max_envelope_bytes", "4096"},
                                           {"presence", "false"}},
                                          &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->map_filters, (std::vector<std::string>{"devices/#", "fleet/#", "broadcast/#"}));
  EXPECT_EQ(config->max_topics, 10u);
  EXPECT_EQ(config->revocation_poll.count(), 200);
  EXPECT_EQ(config->max_envelope_bytes, 4096u);
  EXPECT_FALSE(config->presence);
}

TEST(PluginConfig, RefusesBadOptionsWithOneLine) {
  std::string error;
  EXPECT_FALSE(parse_plugin_config({}, &error));
  EXPECT_NE(error.find("registry"), std::string::npos);
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"colour", "blue"}}, &error));
  EXPECT_NE(error.find("colour"), std::string::npos);
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"map", "$lw/#"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"map", "a/#/b"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"revocation_poll_ms", "5000"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"max_topics", "-1"}}, &error));
}

TEST(BrokerConfig, OnlyListenerIsTlsWithClientCertificatesAndThePlugin) {
  laneway::plugin::BrokerConfigOptions options;
  options.pki_dir = "/pki";
  options.plugin_path = "/lib/laneway_plugin.so";
  options.port = 9999;
  options.bind_address = "127.0.0.1";
  const std::string conf = laneway::plugin::render_broker_config(options);
  EXPECT_NE(conf.find("\nlistener 9999 127.0.0.1\n"), std::string::npos);
  EXPECT_EQ(conf.find("listener", conf.find("listener 9999") + 1), std::string::npos);
  EXPECT_NE(conf.find("\nrequire_certificate true\n"), std::string::npos);
  EXPECT_NE(conf.find("\ncrlfile /pki/crl.pem\n"), std::string::npos);
  EXPECT_NE(conf.find("\nallow_anonymous false\n"), std::string::npos);
  EXPECT_NE(conf.find("\npersistence true\n"), std::string::npos);
  EXPECT_NE(conf.find("\nplugin /lib/laneway_plugin.so\n"), std::string::npos);
  EXPECT_EQ(conf.find("\nuse_identity_as_username"), std::string::npos);
  EXPECT_EQ(conf.find("\nuser "), std::string::npos);
  // The frame limit, one number for the broker and the plugin (docs/wire.md "Frame limit").
  EXPECT_NE(conf.find("\nmessage_size_limit 65536\n"), std::string::npos);
  EXPECT_NE(conf.find("\nmax_packet_size 197632\n"), std::string::npos);
  EXPECT_NE(conf.find("\nplugin_opt_max_envelope_bytes 65536\n"), std::string::npos);
}

TEST(PluginConfig, ClusterRolesNeedTheirOwnOptions) {
  using laneway::plugin::ClusterRole;
  std::string error;
  const auto edge = parse_plugin_config({{"role", "edge"},
                                         {"edge_name", "edge-a"},
                                         {"crl", "/crl.pem"},
                                         {"cafile", "/ca.crt"},
                                         {"core_link_id", "link"},
                                         {"core_stale_after_s", "9"}},
                                        &error);
  ASSERT_TRUE(edge) << error;
  EXPECT_EQ(edge->role, ClusterRole::kEdge);
  EXPECT_EQ(edge->edge_name, "edge-a");
  EXPECT_EQ(edge->core_link_id, "link");
  EXPECT_EQ(edge->core_stale_after.count(), 9);
  // An edge never opens the registry file, and cannot check a CRL without the CA.
  EXPECT_FALSE(parse_plugin_config(
      {{"role", "edge"}, {"edge_name", "e"}, {"crl", "c"}, {"cafile", "a"}, {"registry", "r"}},
      &error));
  EXPECT_NE(error.find("registry"), std::string::npos);
  EXPECT_FALSE(parse_plugin_config({{"role", "edge"}, {"edge_name", "e"}, {"crl", "c"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"role", "edge"}, {"edge_name", "a/b"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"role", "hub"}, {"registry", "r"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"edge_name", "e"}}, &error));
  EXPECT_FALSE(parse_plugin_config({{"registry", "r"}, {"core_link_id", "a#"}}, &error));
  const auto core = parse_plugin_config({{"role", "core"}, {"registry", "r"}}, &error);
  ASSERT_TRUE(core) << error;
  EXPECT_EQ(core->role, ClusterRole::kCore);
  EXPECT_FALSE(parse_plugin_config({{"role", "core"}}, &error));
}

TEST(BrokerConfig, EdgeBridgesToEveryCoreAddressWithItsEdgeCertificate) {
  laneway::plugin::BrokerConfigOptions options;
  options.role = "edge";
  options.edge_name = "edge-a";
  options.core_addresses = {"core-1:8883", "core-2:8883"};
  options.pki_dir = "/pki";
  options.plugin_path = "/p.so";
  const std::string conf = laneway::plugin::render_broker_config(options);
  for (const char* line :
       {"\nplugin_opt_role edge\n", "\nplugin_opt_edge_name edge-a\n",
        "\naddress core-1:8883 core-2:8883\n", "\nbridge_protocol_version mqttv50\n",
        "\ncleansession false\n", "\nremote_clientid edge-edge-a\n",
        "\nbridge_certfile /pki/services/edge-edge-a.crt\n", "\nbridge_cafile /pki/ca.crt\n",
        "\ntopic devices/# out 1\n", "\ntopic $lw/cluster/registry/# in 1\n",
        "\ntopic $lw/cluster/edge/edge-a/# out 1\n", "\nnotifications false\n",
        "\nset_tcp_nodelay true\n"})
    EXPECT_NE(conf.find(line), std::string::npos) << line;
  EXPECT_EQ(conf.find("plugin_opt_registry"), std::string::npos);
  EXPECT_EQ(conf.find("plugin_opt_map"), std::string::npos) << "edges sequence nothing";
  // Cluster records (an edge's online set, the CRL) outgrow the frame limit on the link.
  EXPECT_EQ(conf.find("message_size_limit"), std::string::npos);
  EXPECT_EQ(conf.find("max_packet_size"), std::string::npos);
  EXPECT_NE(conf.find("\nplugin_opt_max_envelope_bytes 65536\n"), std::string::npos);

  options.role = "core";
  options.edge_name.clear();
  options.core_addresses.clear();
  const std::string core = laneway::plugin::render_broker_config(options);
  EXPECT_NE(core.find("\nplugin_opt_role core\n"), std::string::npos);
  EXPECT_NE(core.find("\nplugin_opt_registry "), std::string::npos);
  EXPECT_EQ(core.find("\nconnection "), std::string::npos);
}

}  // namespace
