// laneway-registry: a minimal admin tool for the device registry, enough for tests and the
// run script (create, add/update a device, revoke, reactivate, remove, show, list). The full
// operator CLI is `laneway-fleet`.
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "laneway/registry/registry.h"
#include "laneway/registry/serial.h"

namespace {

using laneway::registry::Device;
using laneway::registry::DeviceStatus;
using laneway::registry::Registry;

// Serial of the certificate in a PEM file, normalized, or empty with `error` set.
std::string serial_of_certificate(const std::string& path, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    *error = "cannot open " + path;
    return {};
  }
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr),
                                              &X509_free);
  if (!cert) {
    *error = path + " is not a PEM certificate";
    return {};
  }
  std::unique_ptr<BIGNUM, void (*)(BIGNUM*)> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr), &BN_free);
  if (!bn) {
    *error = "cannot read the serial of " + path;
    return {};
  }
  std::unique_ptr<char, void (*)(void*)> hex(BN_bn2hex(bn.get()), [](void* p) { OPENSSL_free(p); });
  return laneway::registry::normalize_serial(hex.get()).value_or("");
}

void print_device(const Device& device) {
  std::string groups;
  for (const auto& group : device.groups) groups += (groups.empty() ? "" : ",") + group;
  std::cout << device.id << '\t' << to_string(device.status) << '\t'
            << (device.cert_serial.empty() ? "-" : device.cert_serial) << '\t'
            << (groups.empty() ? "-" : groups) << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"laneway-registry: minimal admin for the laneway device registry"};
  std::string db_path = "fleet.db";
  app.add_option("--db", db_path, "registry file (SQLite)")->capture_default_str();
  app.require_subcommand(1);

  auto* init = app.add_subcommand("init", "create the registry file (idempotent)");

  std::string id;
  std::vector<std::string> groups;
  std::string serial;
  std::string cert_path;
  auto* add = app.add_subcommand("add", "add or replace a device (status active)");
  add->add_option("--id", id, "device id")->required();
  add->add_option("--group", groups, "group (repeatable)");
  auto* serial_opt = add->add_option("--serial", serial, "certificate serial (hex)");
  add->add_option("--cert", cert_path, "read the serial from this PEM certificate")
      ->excludes(serial_opt);

  auto* revoke = app.add_subcommand("revoke", "mark a device revoked (kicked live)");
  revoke->add_option("--id", id, "device id")->required();
  auto* activate = app.add_subcommand("activate", "mark a device active again");
  activate->add_option("--id", id, "device id")->required();
  auto* remove = app.add_subcommand("remove", "delete a device");
  remove->add_option("--id", id, "device id")->required();
  auto* show = app.add_subcommand("show", "print one device");
  show->add_option("--id", id, "device id")->required();
  auto* list = app.add_subcommand("list", "print every device: id status serial groups");

  CLI11_PARSE(app, argc, argv);

  std::string error;
  auto registry = Registry::open_read_write(db_path, &error);
  if (!registry) {
    std::cerr << "laneway-registry: " << error << '\n';
    return 1;
  }
  bool ok = true;
  if (init->parsed()) {
    ok = true;
  } else if (add->parsed()) {
    Device device;
    device.id = id;
    device.groups = groups;
    device.cert_serial = serial;
    if (!cert_path.empty()) {
      device.cert_serial = serial_of_certificate(cert_path, &error);
      ok = !device.cert_serial.empty();
    }
    ok = ok && registry->upsert_device(device, &error);
  } else if (revoke->parsed()) {
    ok = registry->set_status(id, DeviceStatus::kRevoked, &error);
  } else if (activate->parsed()) {
    ok = registry->set_status(id, DeviceStatus::kActive, &error);
  } else if (remove->parsed()) {
    ok = registry->remove_device(id, &error);
  } else if (show->parsed()) {
    auto lookup = registry->find_device(id);
    if (lookup.status == laneway::registry::LookupStatus::kFound) {
      print_device(lookup.device);
    } else {
      ok = false;
      error = lookup.status == laneway::registry::LookupStatus::kNotFound ? "no device '" + id + "'"
                                                                          : lookup.error;
    }
  } else if (list->parsed()) {
    auto devices = registry->list_devices(&error);
    ok = devices.has_value();
    if (ok)
      for (const auto& device : *devices) print_device(device);
  }
  if (!ok) {
    std::cerr << "laneway-registry: " << error << '\n';
    return 1;
  }
  return 0;
}
