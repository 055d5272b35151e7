#include "registry_publisher.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <unordered_set>

#include "cluster.pb.h"

namespace laneway::plugin {

std::string RegistryPublisher::encode(const registry::Device& device) const {
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
  return payload;
}

void RegistryPublisher::put(const registry::Device& device, std::vector<Change>& changes) {
  std::string payload = encode(device);
  auto it = published_.find(device.id);
  if (it != published_.end() && it->second == payload) return;
  published_.insert_or_assign(device.id, payload);
  changes.push_back({device.id, std::move(payload)});
}

void RegistryPublisher::remove(const std::string& id, std::vector<Change>& changes) {
  if (published_.erase(id) == 0) return;
  changes.push_back({id, std::string()});
}

std::vector<RegistryPublisher::Change> RegistryPublisher::diff(
    const std::vector<registry::Device>& devices) {
  std::vector<Change> changes;
  std::unordered_set<std::string> present;
  present.reserve(devices.size());
  for (const auto& device : devices) {
    present.insert(device.id);
    put(device, changes);
  }
  std::vector<std::string> gone;
  for (const auto& [id, payload] : published_) {
    if (!present.count(id)) gone.push_back(id);
  }
  for (const auto& id : gone) remove(id, changes);
  return changes;
}

std::vector<RegistryPublisher::Change> RegistryPublisher::update(
    const std::vector<registry::Device>& found, const std::vector<std::string>& removed) {
  std::vector<Change> changes;
  for (const auto& device : found) put(device, changes);
  for (const auto& id : removed) remove(id, changes);
  return changes;
}

std::string RegistryPublisher::complete_payload() const {
  cluster::v1::RegistryComplete complete;
  complete.set_generation(generation_);
  complete.set_devices(published_.size());
  return complete.SerializeAsString();
}

}  // namespace laneway::plugin
