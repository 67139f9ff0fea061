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
