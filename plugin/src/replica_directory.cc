#include "replica_directory.h"

#include <algorithm>

#include "cluster.pb.h"

namespace laneway::plugin {

ReplicaDirectory::Applied ReplicaDirectory::apply_record(std::string_view id,
                                                         std::string_view payload,
                                                         std::string* error) {
  if (!registry::is_valid_device_id(id)) {
    *error = "registry record for an invalid device id";
    return Applied::kRefused;
  }
  const std::string key(id);
  if (payload.empty()) {
    if (devices_.erase(key) == 0) return Applied::kUnchanged;
    changed(key);
    return Applied::kChanged;
  }
  cluster::v1::DeviceRecord record;
  if (!record.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    *error = "registry record for '" + key + "' does not decode";
    return Applied::kRefused;
  }
  if (record.id() != id) {
    *error = "registry record on '" + key + "' names device '" + record.id() + "'";
    return Applied::kRefused;
  }
  if (!devices_.count(key) && devices_.size() >= kMaxDevices) {
    *error =
        "registry copy full (" + std::to_string(kMaxDevices) + " devices): '" + key + "' not added";
    return Applied::kRefused;
  }
  Entry entry;
  entry.device.id = key;
  entry.device.status =
      record.active() ? registry::DeviceStatus::kActive : registry::DeviceStatus::kRevoked;
  entry.device.cert_serial = record.cert_serial();
  entry.device.groups.assign(record.groups().begin(), record.groups().end());
  std::sort(entry.device.groups.begin(), entry.device.groups.end());
  entry.generation = record.generation();

  auto it = devices_.find(key);
  if (it != devices_.end() && it->second.generation == entry.generation &&
      it->second.device.status == entry.device.status &&
      it->second.device.cert_serial == entry.device.cert_serial &&
      it->second.device.groups == entry.device.groups)
    return Applied::kUnchanged;
  devices_.insert_or_assign(key, std::move(entry));
  changed(key);
  return Applied::kChanged;
}

ReplicaDirectory::Applied ReplicaDirectory::apply_complete(std::string_view payload,
                                                           std::string* error) {
  cluster::v1::RegistryComplete complete;
  if (!complete.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    *error = "registry completion marker does not decode";
    return Applied::kRefused;
  }
  // The newest marker received wins, whichever core sent it: after a failover the standby's
  // run is the one that vouches, even if it started before the primary.
  if (complete.generation() == complete_generation_) return Applied::kUnchanged;
  complete_generation_ = complete.generation();
  std::erase_if(devices_, [this](const auto& item) {
    return item.second.generation != complete_generation_;
  });
  ++version_;
  pending_all_ = true;  // which records stopped counting is not worth tracking one by one
  pending_.clear();
  return Applied::kChanged;
}

void ReplicaDirectory::changed(const std::string& id) {
  ++version_;
  if (pending_all_) return;
  if (pending_.size() >= kMaxPendingChanges) {
    pending_all_ = true;
    pending_.clear();
    return;
  }
  pending_.push_back(id);
}

std::optional<std::vector<std::string>> ReplicaDirectory::take_changes() {
  const bool all = pending_all_;
  pending_all_ = false;
  auto ids = std::move(pending_);
  pending_.clear();
  if (all) return std::nullopt;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

registry::Lookup ReplicaDirectory::find_device(std::string_view id) const {
  registry::Lookup lookup;
  auto it = devices_.find(std::string(id));
  if (it == devices_.end() ||
      (complete_generation_ != 0 && it->second.generation != complete_generation_)) {
    lookup.status = registry::LookupStatus::kNotFound;
    return lookup;
  }
  lookup.status = registry::LookupStatus::kFound;
  lookup.device = it->second.device;
  return lookup;
}

}  // namespace laneway::plugin
