// laneway-golden: rewrites tests/vectors/ from golden_vectors.cc. Run it only for an
// intended, additive schema change, and review the diff of the .bin files: any change to an
// existing vector's bytes breaks every deployed client.
#include <cstdio>
#include <fstream>
#include <string>

#include "golden_vectors.h"
#include "laneway/wire/base64.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/length_prefix.h"

namespace {

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::fprintf(stderr, "laneway-golden: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: laneway-golden DIR   (rewrites DIR/*.bin, *.b64, README.md)\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::string readme =
      "# Golden vectors\n\n"
      "Each `NAME.bin` is one `laneway.v1.Frame` exactly as every laneway encoder must produce\n"
      "it (protobuf field order, default values omitted). The values are defined in\n"
      "`tests/wire/golden_vectors.cc`; `golden_vectors_test` encodes them and compares bytes,\n"
      "and decodes every file back. `laneway-golden DIR` rewrites the files after an intended,\n"
      "additive schema change.\n\n"
      "| file | what it holds |\n|---|---|\n";
  std::string bytes;
  for (const auto& vector : laneway::testing::golden_vectors()) {
    if (laneway::wire::encode_frame(vector.frame, bytes) != laneway::wire::WireError::kOk) {
      std::fprintf(stderr, "laneway-golden: cannot encode %s\n", vector.name.c_str());
      return 1;
    }
    if (!write_file(dir + "/" + vector.name + ".bin", bytes)) return 1;
    std::string text;
    laneway::wire::base64_encode(bytes, text);
    if (!write_file(dir + "/" + vector.name + ".b64", text + "\n")) return 1;
    readme += "| `" + vector.name + ".bin` | " + vector.description + " (" +
              std::to_string(bytes.size()) + " bytes) |\n";
  }
  std::string stream;
  std::string names;
  for (const auto& name : laneway::testing::stream_vector_members()) {
    for (const auto& vector : laneway::testing::golden_vectors()) {
      if (vector.name != name) continue;
      laneway::wire::encode_frame(vector.frame, bytes);
      laneway::wire::append_length_prefixed(bytes, stream);
    }
    names += (names.empty() ? "" : ", ") + name;
  }
  if (!write_file(dir + "/stream.bin", stream)) return 1;
  readme +=
      "| `stream.bin` | varint length-prefixed records (WebTransport stream framing) of: " + names +
      " |\n";
  readme +=
      "\nEach `NAME.b64` is the standard padded base64 of `NAME.bin` plus a newline: the text\n"
      "of an SSE `data:` line carrying that frame.\n";
  return write_file(dir + "/README.md", readme) ? 0 : 1;
}
