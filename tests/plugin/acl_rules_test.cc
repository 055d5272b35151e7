#include "acl_rules.h"

#include <gtest/gtest.h>

namespace {

using laneway::plugin::Access;
using laneway::plugin::acl_allows;
using laneway::plugin::build_acl_filters;
using laneway::plugin::Principal;
using laneway::plugin::Role;

Principal make(Role role, const std::string& name, std::vector<std::string> groups = {}) {
  Principal p;
  p.role = role;
  p.name = name;
  p.identity = laneway::plugin::make_identity(role, name);
  p.groups = std::move(groups);
  build_acl_filters(p);
  return p;
}

TEST(AclRules, AnEdgeCarriesDeviceTrafficAndItsOwnReportsOnly) {
  const auto e = make(Role::kEdge, "edge-a");
  EXPECT_EQ(e.identity, "edge:edge-a");
  EXPECT_TRUE(acl_allows(e, "edge-edge-a", Access::kWrite, "devices/d1/telemetry"));
  EXPECT_TRUE(acl_allows(e, "edge-edge-a", Access::kWrite, "$lw/cluster/edge/edge-a/presence"));
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kWrite, "$lw/cluster/edge/edge-b/presence"));
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kWrite, "$lw/cluster/registry/d1"));
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kWrite, "broadcast/all"));
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kWrite, "$lw/in/devices/d1/x"));
  for (const char* filter :
       {"broadcast/#", "fleet/#", "devices/+/rpc/#", "devices/+/cmd/#", "provision/#",
        "$lw/cluster/registry/#", "$lw/cluster/crl", "$lw/cluster/heartbeat", "$lw/cluster/edge/#"})
    EXPECT_TRUE(acl_allows(e, "edge-edge-a", Access::kSubscribe, filter)) << filter;
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kSubscribe, "devices/#"));
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kSubscribe, "$lw/env/#"));
  EXPECT_FALSE(acl_allows(e, "edge-edge-a", Access::kSubscribe, "#"));
}

TEST(AclRules, DeviceOwnsItsSubtreeOnly) {
  const auto d = make(Role::kDevice, "d1", {"g1"});
  EXPECT_TRUE(acl_allows(d, "d1", Access::kWrite, "devices/d1/telemetry"));
  EXPECT_TRUE(acl_allows(d, "d1", Access::kSubscribe, "devices/d1/#"));
  EXPECT_TRUE(acl_allows(d, "d1", Access::kRead, "devices/d1/rpc/reboot"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kWrite, "devices/d2/telemetry"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "devices/+/telemetry"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "#"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kRead, "devices/d2/telemetry"));
}

TEST(AclRules, DeviceReadsItsGroupsAndBroadcastButCannotPublishThere) {
  const auto d = make(Role::kDevice, "d1", {"g1"});
  EXPECT_TRUE(acl_allows(d, "d1", Access::kSubscribe, "fleet/g1/#"));
  EXPECT_TRUE(acl_allows(d, "d1", Access::kSubscribe, "broadcast/#"));
  EXPECT_TRUE(acl_allows(d, "d1", Access::kRead, "broadcast/firmware"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "fleet/g2/#"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "fleet/#"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kWrite, "fleet/g1/x"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kWrite, "broadcast/x"));
}

TEST(AclRules, DeviceHasNoLanewayTopics) {
  const auto d = make(Role::kDevice, "d1");
  EXPECT_FALSE(acl_allows(d, "d1", Access::kWrite, "$lw/in/devices/d1/t"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "$lw/env/#"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "$SYS/#"));
}

TEST(AclRules, SharedSubscriptionsAreCheckedOnTheirFilter) {
  const auto d = make(Role::kDevice, "d1");
  EXPECT_TRUE(acl_allows(d, "d1", Access::kSubscribe, "$share/g/devices/d1/#"));
  EXPECT_FALSE(acl_allows(d, "d1", Access::kSubscribe, "$share/g/devices/#"));
}

TEST(AclRules, BridgeUsesLanewayTopicsButNeverReadsInbound) {
  const auto b = make(Role::kBridge, "bridge-1");
  EXPECT_TRUE(acl_allows(b, "x", Access::kWrite, "$lw/in/devices/d1/cmd"));
  EXPECT_TRUE(acl_allows(b, "x", Access::kSubscribe, "$lw/env/#"));
  EXPECT_TRUE(acl_allows(b, "x", Access::kSubscribe, "$lw/presence/+"));
  EXPECT_FALSE(acl_allows(b, "x", Access::kRead, "$lw/in/devices/d1/cmd"));
  EXPECT_FALSE(acl_allows(b, "x", Access::kWrite, "$lw/env/devices/d1/cmd"));
  EXPECT_FALSE(acl_allows(b, "x", Access::kWrite, "$lw/presence/d1"));
  EXPECT_FALSE(acl_allows(b, "x", Access::kWrite, "devices/d1/telemetry"));
  EXPECT_TRUE(acl_allows(b, "x", Access::kWrite, "devices/d1/rpc/reboot"));
}

TEST(AclRules, OperatorCommandsTheFleet) {
  const auto o = make(Role::kOperator, "alice");
  EXPECT_TRUE(acl_allows(o, "x", Access::kWrite, "fleet/g1/update"));
  EXPECT_TRUE(acl_allows(o, "x", Access::kWrite, "broadcast/all"));
  EXPECT_TRUE(acl_allows(o, "x", Access::kWrite, "devices/d1/rpc/reboot"));
  EXPECT_FALSE(acl_allows(o, "x", Access::kWrite, "devices/d1/telemetry"));
  EXPECT_TRUE(acl_allows(o, "x", Access::kSubscribe, "devices/#"));
  EXPECT_FALSE(acl_allows(o, "x", Access::kWrite, "$lw/in/devices/d1/x"));
}

TEST(AclRules, ClaimIsConfinedToItsProvisioningTopics) {
  const auto c = make(Role::kClaim, "batch-7");
  EXPECT_TRUE(acl_allows(c, "n1", Access::kWrite, "provision/batch-7/n1/csr"));
  EXPECT_TRUE(acl_allows(c, "n1", Access::kSubscribe, "provision/batch-7/n1/#"));
  EXPECT_FALSE(acl_allows(c, "n1", Access::kSubscribe, "provision/batch-7/+/#"));
  EXPECT_FALSE(acl_allows(c, "n1", Access::kWrite, "provision/batch-7/n2/csr"));
  EXPECT_FALSE(acl_allows(c, "n1", Access::kWrite, "devices/n1/t"));
  EXPECT_FALSE(acl_allows(c, "a+b", Access::kWrite, "provision/batch-7/a+b/csr"));
}

TEST(AclRules, IdentityRoundTrip) {
  using laneway::plugin::parse_identity;
  EXPECT_EQ(parse_identity("d-1")->role, Role::kDevice);
  EXPECT_EQ(parse_identity("bridge:b1")->name, "b1");
  EXPECT_FALSE(parse_identity("server:x"));
  EXPECT_FALSE(parse_identity("device:x"));
  EXPECT_FALSE(parse_identity("bridge:"));
  EXPECT_FALSE(parse_identity(""));
}

}  // namespace
