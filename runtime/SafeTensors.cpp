//===- SafeTensors.cpp - The safetensors checkpoint format ----------------===//
#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/DurableFile.h"
#include "seqc/Support/ReadFile.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>

using namespace seqc::rt;

// Tensor data is copied byte for byte: the format is little-endian, and so are
// the hosts seqc targets.
static_assert(llvm::endianness::native == llvm::endianness::little,
              "safetensors I/O assumes a little-endian host");

static constexpr llvm::StringLiteral kMetadataKey = "__metadata__";
// Larger headers are certainly corrupt (the reference reader's limit).
static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string
seqc::rt::serializeSafetensors(llvm::ArrayRef<NamedTensorRef> tensors,
                               const MetadataMap &metadata) {
  std::string header;
  llvm::raw_string_ostream headerStream(header);
  llvm::json::OStream json(headerStream);
  uint64_t offset = 0;
  json.object([&] {
    if (!metadata.empty())
      json.attributeObject(kMetadataKey, [&] {
        for (const auto &[key, value] : metadata)
          json.attribute(key, value);
      });
    for (const NamedTensorRef &entry : tensors) {
      const Tensor &tensor = *entry.tensor;
      json.attributeObject(entry.name, [&] {
        json.attribute("dtype", dtypeSafetensorsName(tensor.dtype()));
        json.attributeArray("shape", [&] {
          for (int64_t size : tensor.shape())
            json.value(size);
        });
        json.attributeArray("data_offsets", [&] {
          json.value(static_cast<int64_t>(offset));
          json.value(static_cast<int64_t>(offset + tensor.sizeInBytes()));
        });
      });
      offset += tensor.sizeInBytes();
    }
  });
  headerStream.flush();
  // Padding keeps the data section 8-byte aligned for memory-mapped readers.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), header.size());
  bytes += header;
  bytes.reserve(bytes.size() + offset);
  for (const NamedTensorRef &entry : tensors)
    bytes.append(reinterpret_cast<const char *>(entry.tensor->rawData()),
                 entry.tensor->sizeInBytes());
  return bytes;
}

llvm::Error seqc::rt::saveSafetensors(llvm::StringRef path,
                                      llvm::ArrayRef<NamedTensorRef> tensors,
                                      const MetadataMap &metadata) {
  std::string bytes = serializeSafetensors(tensors, metadata);
  // A checkpoint is replaced whole or not at all, and survives a crash.
  if (llvm::Error error = writeFileDurably(path, bytes))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("{}: cannot write parameters: {}", path.str(),
                    llvm::toString(std::move(error))));
  return llvm::Error::success();
}

llvm::Error seqc::rt::saveSafetensors(llvm::StringRef path,
                                      const TensorMap &tensors,
                                      const MetadataMap &metadata) {
  std::vector<NamedTensorRef> refs;
  for (const auto &[name, tensor] : tensors)
    refs.push_back({name, &tensor});
  return saveSafetensors(path, refs, metadata);
}

namespace {
/// Builds errors that name the file.
struct ErrorReporter {
  llvm::StringRef fileName;
  template <typename... Args>
  llvm::Error operator()(fmt::format_string<Args...> format,
                         Args &&...args) const {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fileName.str() + ": " +
            fmt::format(format, std::forward<Args>(args)...));
  }
};

/// An entry's place in the data section, for the tiling check.
struct Extent {
  uint64_t begin, end;
  std::string name;
};
} // namespace

static llvm::Expected<llvm::SmallVector<int64_t, 4>>
parseShape(const llvm::json::Value *value, llvm::StringRef name,
           const ErrorReporter &fail) {
  const llvm::json::Array *array = value ? value->getAsArray() : nullptr;
  if (!array)
    return fail("tensor '{}' has no \"shape\" array", name.str());
  llvm::SmallVector<int64_t, 4> shape;
  for (const llvm::json::Value &element : *array) {
    std::optional<int64_t> size = element.getAsInteger();
    if (!size || *size < 0)
      return fail("tensor '{}' has a shape entry that is not a non-negative "
                  "integer",
                  name.str());
    shape.push_back(*size);
  }
  return shape;
}

llvm::Expected<SafetensorsFile>
seqc::rt::parseSafetensors(llvm::StringRef bytes, llvm::StringRef fileName) {
  ErrorReporter fail{fileName};
  if (bytes.size() < 8)
    return fail("not a safetensors file: {} bytes, too short for the header "
                "length",
                bytes.size());
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > kMaxHeaderBytes || headerSize > bytes.size() - 8)
    return fail("not a safetensors file: header length {} exceeds the file "
                "size of {} bytes",
                headerSize, bytes.size());
  llvm::StringRef headerText = bytes.substr(8, headerSize);
  llvm::StringRef data = bytes.drop_front(8 + headerSize);

  llvm::Expected<llvm::json::Value> header = llvm::json::parse(headerText);
  if (!header)
    return fail("invalid JSON header: {}", llvm::toString(header.takeError()));
  const llvm::json::Object *entries = header->getAsObject();
  if (!entries)
    return fail("the JSON header is not an object");

  SafetensorsFile file;
  std::vector<Extent> extents;
  for (const auto &[key, value] : *entries) {
    llvm::StringRef name = key;
    if (name == kMetadataKey) {
      const llvm::json::Object *metadata = value.getAsObject();
      if (!metadata)
        return fail("\"__metadata__\" is not an object");
      for (const auto &[metaKey, metaValue] : *metadata) {
        std::optional<llvm::StringRef> text = metaValue.getAsString();
        if (!text)
          return fail("metadata entry '{}' is not a string",
                      llvm::StringRef(metaKey).str());
        file.metadata[metaKey.str()] = text->str();
      }
      continue;
    }

    const llvm::json::Object *entry = value.getAsObject();
    if (!entry)
      return fail("header entry '{}' is not an object", name.str());
    std::optional<llvm::StringRef> dtypeName = entry->getString("dtype");
    if (!dtypeName)
      return fail("tensor '{}' has no \"dtype\" string", name.str());
    std::optional<DType> dtype = dtypeFromSafetensorsName(*dtypeName);
    if (!dtype)
      return fail("tensor '{}' has unsupported dtype '{}' (supported: F32, "
                  "F64, I32, I64)",
                  name.str(), dtypeName->str());
    auto shape = parseShape(entry->get("shape"), name, fail);
    if (!shape)
      return shape.takeError();

    const llvm::json::Array *offsets = entry->getArray("data_offsets");
    std::optional<int64_t> begin, end;
    if (offsets && offsets->size() == 2) {
      begin = (*offsets)[0].getAsInteger();
      end = (*offsets)[1].getAsInteger();
    }
    if (!begin || !end || *begin < 0 || *end < *begin)
      return fail("tensor '{}' has no valid \"data_offsets\" [begin, end]",
                  name.str());
    if (static_cast<uint64_t>(*end) > data.size())
      return fail("tensor '{}' ends at byte {} but the data section has only "
                  "{} bytes (truncated file?)",
                  name.str(), *end, data.size());
    Tensor tensor(*dtype, *shape);
    if (static_cast<uint64_t>(*end - *begin) != tensor.sizeInBytes())
      return fail("tensor '{}' has {} data bytes but {} {} needs {}",
                  name.str(), *end - *begin, shapeToString(*shape),
                  dtypeName->str(), tensor.sizeInBytes());
    std::copy_n(data.data() + *begin, tensor.sizeInBytes(),
                reinterpret_cast<char *>(tensor.rawData()));
    extents.push_back({static_cast<uint64_t>(*begin),
                       static_cast<uint64_t>(*end), name.str()});
    file.tensors.emplace(name.str(), std::move(tensor));
  }

  // The entries must tile the data section: no overlap, no gap, no tail.
  llvm::sort(extents, [](const Extent &lhs, const Extent &rhs) {
    return std::tie(lhs.begin, lhs.end) < std::tie(rhs.begin, rhs.end);
  });
  uint64_t expectedBegin = 0;
  for (const Extent &extent : extents) {
    if (extent.begin < expectedBegin)
      return fail("the data of tensor '{}' overlaps another tensor's",
                  extent.name);
    if (extent.begin > expectedBegin)
      return fail("unused bytes [{}, {}) before tensor '{}'", expectedBegin,
                  extent.begin, extent.name);
    expectedBegin = extent.end;
  }
  if (expectedBegin != data.size())
    return fail("{} trailing bytes after the last tensor",
                data.size() - expectedBegin);
  return file;
}

llvm::Expected<SafetensorsFile>
seqc::rt::loadSafetensors(llvm::StringRef path) {
  auto buffer =
      seqc::readRegularFile(path, seqc::kMaxDataBytes, /*isText=*/false);
  if (!buffer)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("{}: cannot read parameters: {}", path.str(),
                    llvm::toString(buffer.takeError())));
  return parseSafetensors((*buffer)->getBuffer(), path);
}
