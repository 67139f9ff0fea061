// Native handles given to JavaScript: tensors and generators, each in a Napi::External.
// A handle's tensor is released by dispose() (deterministic); the small box itself is freed by
// the External's finalizer when JavaScript drops the last reference.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/InferenceMode.h>

#include <memory>
#include <unordered_set>
#include <vector>

namespace gdt {

enum class BoxKind : uint32_t { Tensor = 0x7e750001, Generator = 0x7e750002 };

struct AddonState;

struct TensorBox {
  BoxKind kind = BoxKind::Tensor;
  at::Tensor tensor;
  AddonState* state;
  TensorBox* prev = nullptr;
  TensorBox* next = nullptr;
};

struct GeneratorBox {
  BoxKind kind = BoxKind::Generator;
  at::Generator generator;
};

// How a schema argument is converted from JavaScript; computed once per operator.
enum class ArgKind : uint8_t {
  Tensor,
  TensorList,
  OptionalTensorList,
  Int,
  IntList,
  Float,
  FloatList,
  Bool,
  BoolList,
  Scalar,
  ScalarList,
  String,
  Device,
  Generator,
  Unsupported,
};

struct ArgInfo {
  ArgKind kind;
  bool optional;
  int listSize;  // N of int[N] / bool[N]; 0 when unsized
  c10::optional<c10::IValue> defaultValue;
};

struct OpInfo {
  c10::OperatorHandle handle;
  std::vector<ArgInfo> args;
  // True when the only return aliases a mutated input (in-place ops): the caller already holds it.
  bool returnsMutatedInput;
  std::string name;
};

// Per-environment state (one per main thread or worker_thread that loads the addon).
struct AddonState {
  std::vector<OpInfo> ops;
  TensorBox head;  // sentinel of the list of live boxes holding a tensor
  size_t liveTensors = 0;
  std::vector<std::unique_ptr<c10::InferenceMode>> inferenceGuards;
  AddonState() { head.prev = head.next = &head; }

  void link(TensorBox* b) {
    b->next = head.next;
    b->prev = &head;
    head.next->prev = b;
    head.next = b;
    ++liveTensors;
  }
  void unlink(TensorBox* b) {
    if (!b->prev) return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = nullptr;
    --liveTensors;
  }
  // Bytes of the distinct storages that live handles keep alive.
  size_t nativeBytes() const {
    std::unordered_set<const void*> seen;
    size_t total = 0;
    for (TensorBox* b = head.next; b != &head; b = b->next) {
      if (!b->tensor.defined() || !b->tensor.has_storage()) continue;
      const auto& st = b->tensor.storage();
      if (seen.insert(st.unsafeGetStorageImpl()).second) total += st.nbytes();
    }
    return total;
  }
};

Napi::Value wrapTensor(Napi::Env env, AddonState* state, at::Tensor t);
TensorBox* unwrapTensorBox(const Napi::Value& v, const char* what);
inline at::Tensor& unwrapTensor(const Napi::Value& v, const char* what) {
  return unwrapTensorBox(v, what)->tensor;
}
Napi::Value wrapGenerator(Napi::Env env, at::Generator g);
at::Generator& unwrapGenerator(const Napi::Value& v, const char* what);

// Conversions between JavaScript values and IValues, driven by schema argument kinds.
c10::IValue toIValue(const Napi::Value& v, const OpInfo& op, size_t index);
Napi::Value fromIValue(Napi::Env env, AddonState* state, const c10::IValue& v);
OpInfo describeOp(const c10::OperatorHandle& handle);

}  // namespace gdt
