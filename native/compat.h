// Every difference between the libtorch versions gdt builds against lives here.
#pragma once

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#define GDT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace gdt_compat {

// 2.4 replaced the per-backend autocast setters by ones taking a device type.
inline void setAutocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if GDT_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device, enabled);
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
}

inline bool isAutocastEnabled(c10::DeviceType device) {
#if GDT_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

inline at::ScalarType autocastDtype(c10::DeviceType device) {
#if GDT_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype()
                                        : at::autocast::get_autocast_gpu_dtype();
#endif
}

// SymInt appeared in schemas in 1.13 and became pervasive in 2.x; both read as integers here.
inline bool isIntLike(const c10::TypePtr& t) {
  return t->kind() == c10::TypeKind::IntType || t->kind() == c10::TypeKind::SymIntType;
}

#ifdef GDT_WITH_CUDA
// 2.6 moved the allocator statistics types to c10::CachingDeviceAllocator.
#if GDT_TORCH_AT_LEAST(2, 6)
constexpr size_t kAggregateStat = static_cast<size_t>(c10::CachingDeviceAllocator::StatType::AGGREGATE);
#else
constexpr size_t kAggregateStat = static_cast<size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE);
#endif
#endif

}  // namespace gdt_compat

// ---- Distributed (c10d): only native/distributed.cc defines GDT_COMPAT_DISTRIBUTED, so the other
// translation units never see the c10d / Gloo / NCCL headers. ----
#ifdef GDT_COMPAT_DISTRIBUTED
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if GDT_TORCH_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#ifdef GDT_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef GDT_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace gdt_compat {

// 2.0 split c10d::ProcessGroup into a dispatching front and per-device Backends; Gloo and NCCL
// derive from ProcessGroup in 1.13 and from Backend in 2.x, with the same collective signatures.
#if GDT_TORCH_AT_LEAST(2, 0)
using DistGroup = c10d::Backend;
#else
using DistGroup = c10d::ProcessGroup;
#endif

// TCPStoreOptions has the same fields in 1.13 and 2.x for what gdt sets (2.x adds libuv and a
// listening-socket handover, left at their defaults).
inline c10d::TCPStoreOptions tcpStoreOptions(uint16_t port, bool isServer, size_t numWorkers, bool waitWorkers,
                                             std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions o;
  o.port = port;
  o.isServer = isServer;
  o.numWorkers = numWorkers;
  o.waitWorkers = waitWorkers;
  o.timeout = timeout;
  return o;
}

#ifdef GDT_HAVE_GLOO
// ProcessGroupGloo::Options: Backend::Options in 2.x, ProcessGroup::Options in 1.13; same fields.
inline c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> glooOptions(std::chrono::milliseconds timeout) {
  return c10d::ProcessGroupGloo::Options::create(timeout);
}
#endif

#ifdef GDT_HAVE_NCCL
inline c10::intrusive_ptr<c10d::ProcessGroupNCCL::Options> ncclOptions(std::chrono::milliseconds timeout) {
  auto o = c10d::ProcessGroupNCCL::Options::create();
  o->timeout = timeout;
  return o;
}
#endif

}  // namespace gdt_compat
#endif  // GDT_COMPAT_DISTRIBUTED
