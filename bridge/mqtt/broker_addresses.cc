#include "broker_addresses.h"

namespace laneway::bridge {

const BrokerAddress& BrokerAddresses::next_attempt() {
  if (!fresh_) index_ = (index_ + 1) % addresses_.size();
  fresh_ = false;
  return addresses_[index_];
}

void BrokerAddresses::prefer_primary() {
  index_ = 0;
  fresh_ = true;
}

}  // namespace laneway::bridge
