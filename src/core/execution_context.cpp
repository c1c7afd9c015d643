#include "nnlab/core/execution_context.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "nnlab/core/build_info.h"
#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"
#include "nnlab/core/memory.h"

namespace nnlab::core {

namespace {

// The CUDA device's name through the driver library, loaded at run time: nnlab compiles against
// CPU-only LibTorch builds too, which ship no CUDA headers. "unknown" when the driver cannot say.
std::string gpu_name(int index) {
  void* driver = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) return "unknown";
  using Init = int (*)(unsigned int);
  using DeviceGet = int (*)(int*, int);
  using DeviceGetName = int (*)(char*, int, int);
  const auto init = reinterpret_cast<Init>(::dlsym(driver, "cuInit"));
  const auto device_get = reinterpret_cast<DeviceGet>(::dlsym(driver, "cuDeviceGet"));
  const auto get_name = reinterpret_cast<DeviceGetName>(::dlsym(driver, "cuDeviceGetName"));
  std::string name = "unknown";
  int device = 0;
  char buffer[256] = {};
  if (init != nullptr && device_get != nullptr && get_name != nullptr && init(0) == 0 &&
      device_get(&device, index) == 0 && get_name(buffer, sizeof(buffer) - 1, device) == 0) {
    name = buffer;
  }
  ::dlclose(driver);
  return name;
}

// The major compute capability of a CUDA device through the driver, as above; 0 when unknown.
int gpu_compute_capability(int index) {
  void* driver = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) return 0;
  using Init = int (*)(unsigned int);
  using DeviceGet = int (*)(int*, int);
  using GetAttribute = int (*)(int*, int, int);
  const auto init = reinterpret_cast<Init>(::dlsym(driver, "cuInit"));
  const auto device_get = reinterpret_cast<DeviceGet>(::dlsym(driver, "cuDeviceGet"));
  const auto get_attribute =
      reinterpret_cast<GetAttribute>(::dlsym(driver, "cuDeviceGetAttribute"));
  constexpr int kComputeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
  int device = 0;
  int major = 0;
  if (init == nullptr || device_get == nullptr || get_attribute == nullptr || init(0) != 0 ||
      device_get(&device, index) != 0 ||
      get_attribute(&major, kComputeCapabilityMajor, device) != 0) {
    major = 0;
  }
  ::dlclose(driver);
  return major;
}

struct CpuInfo {
  std::string model = "unknown";
  std::vector<std::string> isa;  // the extensions below that this CPU has, in this order
};

// Read at run time from /proc/cpuinfo (the build machine's flags say nothing about this one).
// Only the extensions that decide which kernels LibTorch and oneDNN can use are listed.
CpuInfo cpu_info() {
  static const char* const kExtensions[] = {
      "avx2",     "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16",
      "amx_int8", "asimd",   "asimddp",     "bf16",        "sve",         "sve2"};
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> flags;
  bool have_flags = false;
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const auto value = colon + 2 <= line.size() ? line.substr(colon + 2) : std::string();
    if ((key == "model name" || key == "Model name") && info.model == "unknown" && !value.empty()) {
      info.model = value;
    } else if ((key == "flags" || key == "Features") && !have_flags) {
      std::istringstream words(value);
      for (std::string word; words >> word;) flags.insert(word);
      have_flags = true;
    }
  }
  for (const char* extension : kExtensions) {
    if (flags.count(extension) != 0) info.isa.emplace_back(extension);
  }
  return info;
}

}  // namespace

std::string to_string(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

bool has_bf16_hardware(const torch::Device& device) {
  if (device.is_cuda()) return gpu_compute_capability(device.has_index() ? device.index() : 0) >= 8;
  static const CpuInfo cpu = cpu_info();
  for (const auto& extension : cpu.isa) {
    if (extension == "amx_bf16" || extension == "avx512_bf16") return true;
  }
  return false;
}

Precision resolve_precision(const std::string& spec, bool bf16_hardware) {
  if (spec == "fp32") return Precision::kFp32;
  if (spec == "bf16") return Precision::kBf16;
  if (spec == "auto") return bf16_hardware ? Precision::kBf16 : Precision::kFp32;
  throw OptionError("RuntimeOptions.precision", "expected auto, fp32 or bf16, got '" + spec + "'");
}

ExecutionContext init_execution_context(const RuntimeOptions& options) {
  // Checked before the runtime is touched: a refused flag changes nothing.
  resolve_precision(options.precision, false);
  ExecutionContext context;
  context.device = init_runtime(options);
  context.precision = resolve_precision(options.precision, has_bf16_hardware(context.device));
  context.threads = at::get_num_threads();
  context.seed = static_cast<std::uint64_t>(options.seed);
  return context;
}

nlohmann::json provenance(const ExecutionContext& context) {
  static const CpuInfo cpu = cpu_info();
  std::string device_name = cpu.model;
  if (context.device.is_cuda() && torch::cuda::is_available()) {
    device_name = gpu_name(context.device.has_index() ? context.device.index() : 0);
  }
  return {{"nnlab_version", nnlab_version()},
          {"nnlab_commit", nnlab_commit()},
          {"libtorch_version", TORCH_VERSION},
          {"device", context.device.str()},
          {"device_name", device_name},
          {"cpu_isa", cpu.isa},
          {"precision", to_string(context.precision)},
          {"threads", context.threads},
          {"seed", context.seed},
          {"allocator", allocator_name()}};
}

nlohmann::json with_provenance(nlohmann::json j, const ExecutionContext& context) {
  if (!j.is_object()) return j;
  j = with_format_version(std::move(j));
  j[kProvenanceKey] = provenance(context);
  return j;
}

}  // namespace nnlab::core
