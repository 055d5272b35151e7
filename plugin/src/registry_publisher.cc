#include "registry_publisher.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <unordered_set>

#include "cluster.pb.h"

namespace laneway::plugin {

std::vector<RegistryPublisher::Change> RegistryPublisher::diff(
    const std::vector<registry::Device>& devices) {
  std::vector<Change> changes;
  std::unordered_set<std::string> present;
  present.reserve(devices.size());
  for (const auto& device : devices) {
    cluster::v1::DeviceRecord record;
    record.set_id(device.id);
    record.set_active(device.status == registry::DeviceStatus::kActive);
    record.set_cert_serial(device.cert_serial);
    for (const auto& group : device.groups) record.add_groups(group);
    record.set_generation(generation_);
    std::string payload;
    // Deterministic so that an unchanged device encodes to the same bytes and is skipped.
    {
      google::protobuf::io::StringOutputStream stream(&payload);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      record.SerializeToCodedStream(&coded);
    }
    present.insert(device.id);
    auto it = published_.find(device.id);
    if (it != published_.end() && it->second == payload) continue;
    published_.insert_or_assign(device.id, payload);
    changes.push_back({device.id, std::move(payload)});
  }
  for (auto it = published_.begin(); it != published_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    changes.push_back({it->first, std::string()});
    it = published_.erase(it);
  }
  return changes;
}

std::string RegistryPublisher::complete_payload() const {
  cluster::v1::RegistryComplete complete;
  complete.set_generation(generation_);
  complete.set_devices(published_.size());
  return complete.SerializeAsString();
}

}  // namespace laneway::plugin
