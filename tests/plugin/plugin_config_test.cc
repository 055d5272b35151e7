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
}

}  // namespace
