// The gdt native addon: boxed access to every aten:: operator plus the few runtime functions that
// are not operators (autograd engine, grad mode, RNG, threads, autocast, memory, CUDA runtime).
// Each function converts its arguments, makes one libtorch call and translates errors.
#ifdef GDT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif
#include "compat.h"
#include "handles.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>

#ifdef GDT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#endif

#include <mutex>
#include <sstream>
#include <thread>

namespace gdt {

// ---- Distributed (c10d), defined in native/distributed.cc ----
namespace dist {
Napi::Value Info(const Napi::CallbackInfo& info);
Napi::Value TcpStore(const Napi::CallbackInfo& info);
Napi::Value PrefixStore(const Napi::CallbackInfo& info);
Napi::Value StoreSet(const Napi::CallbackInfo& info);
Napi::Value StoreGet(const Napi::CallbackInfo& info);
Napi::Value StoreAdd(const Napi::CallbackInfo& info);
Napi::Value NewGroup(const Napi::CallbackInfo& info);
Napi::Value GroupInfo(const Napi::CallbackInfo& info);
Napi::Value AllReduce(const Napi::CallbackInfo& info);
Napi::Value Broadcast(const Napi::CallbackInfo& info);
Napi::Value AllGather(const Napi::CallbackInfo& info);
Napi::Value ReduceScatter(const Napi::CallbackInfo& info);
Napi::Value Barrier(const Napi::CallbackInfo& info);
Napi::Value Wait(const Napi::CallbackInfo& info);
Napi::Value WaitAsync(const Napi::CallbackInfo& info);
Napi::Value IsCompleted(const Napi::CallbackInfo& info);
Napi::Value AllReduceGradHook(const Napi::CallbackInfo& info);
Napi::Value Release(const Napi::CallbackInfo& info);
}  // namespace dist
// ---- end distributed ----

namespace {

std::string errorMessage(const c10::Error& e) { return e.what_without_backtrace(); }

// libtorch's exceptions become JavaScript errors carrying libtorch's own message (as in PyTorch,
// whose messages are these same strings).
template <typename F>
auto translate(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::IndexError& e) {
    throw Napi::RangeError::New(env, errorMessage(e));
  } catch (const c10::TypeError& e) {
    throw Napi::TypeError::New(env, errorMessage(e));
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, errorMessage(e));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

std::vector<int64_t> readInts(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of integers");
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (!e.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of integers");
    out[i] = e.As<Napi::Number>().Int64Value();
  }
  return out;
}

std::vector<at::Tensor> readTensors(const Napi::Value& v, const char* what, bool allowMissing) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (allowMissing && (e.IsUndefined() || e.IsNull())) out.emplace_back();
    else out.push_back(unwrapTensor(e, what));
  }
  return out;
}

c10::DeviceType deviceType(const Napi::Value& v) {
  return c10::Device(v.As<Napi::String>().Utf8Value()).type();
}

// Memory shared with a JavaScript ArrayBuffer: the tensor holds a reference to the buffer, which
// must be released on the JavaScript thread that created it.
struct SharedBuffer {
  napi_env env;
  napi_ref ref;
  std::thread::id thread;
};
std::mutex pendingMutex;
std::vector<SharedBuffer*> pendingReleases;

void releaseSharedBuffer(void* ctx) {
  auto* sb = static_cast<SharedBuffer*>(ctx);
  if (std::this_thread::get_id() == sb->thread) {
    napi_delete_reference(sb->env, sb->ref);
    delete sb;
  } else {
    std::lock_guard<std::mutex> lock(pendingMutex);
    pendingReleases.push_back(sb);
  }
}

void drainPendingReleases(napi_env env) {
  std::lock_guard<std::mutex> lock(pendingMutex);
  for (auto it = pendingReleases.begin(); it != pendingReleases.end();) {
    if ((*it)->env == env) {
      napi_delete_reference(env, (*it)->ref);
      delete *it;
      it = pendingReleases.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

class GdtAddon : public Napi::Addon<GdtAddon> {
 public:
  GdtAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
        InstanceMethod("resolveOp", &GdtAddon::Safe<&GdtAddon::ResolveOp>),
        InstanceMethod("callOp", &GdtAddon::Safe<&GdtAddon::CallOp>),
        InstanceMethod("opSchema", &GdtAddon::Safe<&GdtAddon::OpSchema>),
        InstanceMethod("listSchemas", &GdtAddon::Safe<&GdtAddon::ListSchemas>),
        InstanceMethod("dispose", &GdtAddon::Safe<&GdtAddon::Dispose>),
        InstanceMethod("isDisposed", &GdtAddon::Safe<&GdtAddon::IsDisposed>),
        InstanceMethod("fromBuffer", &GdtAddon::Safe<&GdtAddon::FromBuffer>),
        InstanceMethod("toBuffer", &GdtAddon::Safe<&GdtAddon::ToBuffer>),
        InstanceMethod("shape", &GdtAddon::Safe<&GdtAddon::Shape>),
        InstanceMethod("strides", &GdtAddon::Safe<&GdtAddon::Strides>),
        InstanceMethod("dtype", &GdtAddon::Safe<&GdtAddon::Dtype>),
        InstanceMethod("device", &GdtAddon::Safe<&GdtAddon::Device>),
        InstanceMethod("dataPtr", &GdtAddon::Safe<&GdtAddon::DataPtr>),
        InstanceMethod("requiresGrad", &GdtAddon::Safe<&GdtAddon::RequiresGrad>),
        InstanceMethod("setRequiresGrad", &GdtAddon::Safe<&GdtAddon::SetRequiresGrad>),
        InstanceMethod("isLeaf", &GdtAddon::Safe<&GdtAddon::IsLeaf>),
        InstanceMethod("gradFn", &GdtAddon::Safe<&GdtAddon::GradFn>),
        InstanceMethod("grad", &GdtAddon::Safe<&GdtAddon::Grad>),
        InstanceMethod("setGrad", &GdtAddon::Safe<&GdtAddon::SetGrad>),
        InstanceMethod("setData", &GdtAddon::Safe<&GdtAddon::SetData>),
        InstanceMethod("backward", &GdtAddon::Safe<&GdtAddon::Backward>),
        InstanceMethod("autogradGrad", &GdtAddon::Safe<&GdtAddon::AutogradGrad>),
        InstanceMethod("setGradEnabled", &GdtAddon::Safe<&GdtAddon::SetGradEnabled>),
        InstanceMethod("isGradEnabled", &GdtAddon::Safe<&GdtAddon::IsGradEnabled>),
        InstanceMethod("enterInferenceMode", &GdtAddon::Safe<&GdtAddon::EnterInferenceMode>),
        InstanceMethod("exitInferenceMode", &GdtAddon::Safe<&GdtAddon::ExitInferenceMode>),
        InstanceMethod("isInferenceMode", &GdtAddon::Safe<&GdtAddon::IsInferenceMode>),
        InstanceMethod("manualSeed", &GdtAddon::Safe<&GdtAddon::ManualSeed>),
        InstanceMethod("newGenerator", &GdtAddon::Safe<&GdtAddon::NewGenerator>),
        InstanceMethod("defaultGenerator", &GdtAddon::Safe<&GdtAddon::DefaultGenerator>),
        InstanceMethod("generatorSeed", &GdtAddon::Safe<&GdtAddon::GeneratorSeed>),
        InstanceMethod("generatorInitialSeed", &GdtAddon::Safe<&GdtAddon::GeneratorInitialSeed>),
        InstanceMethod("generatorGetState", &GdtAddon::Safe<&GdtAddon::GeneratorGetState>),
        InstanceMethod("generatorSetState", &GdtAddon::Safe<&GdtAddon::GeneratorSetState>),
        InstanceMethod("getNumThreads", &GdtAddon::Safe<&GdtAddon::GetNumThreads>),
        InstanceMethod("setNumThreads", &GdtAddon::Safe<&GdtAddon::SetNumThreads>),
        InstanceMethod("getNumInteropThreads", &GdtAddon::Safe<&GdtAddon::GetNumInteropThreads>),
        InstanceMethod("setNumInteropThreads", &GdtAddon::Safe<&GdtAddon::SetNumInteropThreads>),
        InstanceMethod("setDeterministic", &GdtAddon::Safe<&GdtAddon::SetDeterministic>),
        InstanceMethod("isDeterministic", &GdtAddon::Safe<&GdtAddon::IsDeterministic>),
        InstanceMethod("setAutocast", &GdtAddon::Safe<&GdtAddon::SetAutocast>),
        InstanceMethod("autocastState", &GdtAddon::Safe<&GdtAddon::AutocastState>),
        InstanceMethod("autocastEnter", &GdtAddon::Safe<&GdtAddon::AutocastEnter>),
        InstanceMethod("autocastExit", &GdtAddon::Safe<&GdtAddon::AutocastExit>),
        InstanceMethod("liveTensors", &GdtAddon::Safe<&GdtAddon::LiveTensors>),
        InstanceMethod("nativeBytes", &GdtAddon::Safe<&GdtAddon::NativeBytes>),
        InstanceMethod("buildInfo", &GdtAddon::Safe<&GdtAddon::BuildInfo>),
        InstanceMethod("cudaDeviceCount", &GdtAddon::Safe<&GdtAddon::CudaDeviceCount>),
        InstanceMethod("cudaSynchronize", &GdtAddon::Safe<&GdtAddon::CudaSynchronize>),
        InstanceMethod("cudaMemoryStats", &GdtAddon::Safe<&GdtAddon::CudaMemoryStats>),
        InstanceMethod("cudaEmptyCache", &GdtAddon::Safe<&GdtAddon::CudaEmptyCache>),
        InstanceMethod("setCudnnBenchmark", &GdtAddon::Safe<&GdtAddon::SetCudnnBenchmark>),
        // ---- distributed (native/distributed.cc) ----
        InstanceMethod("distInfo", &GdtAddon::Dist<&dist::Info>),
        InstanceMethod("distTcpStore", &GdtAddon::Dist<&dist::TcpStore>),
        InstanceMethod("distPrefixStore", &GdtAddon::Dist<&dist::PrefixStore>),
        InstanceMethod("distStoreSet", &GdtAddon::Dist<&dist::StoreSet>),
        InstanceMethod("distStoreGet", &GdtAddon::Dist<&dist::StoreGet>),
        InstanceMethod("distStoreAdd", &GdtAddon::Dist<&dist::StoreAdd>),
        InstanceMethod("distNewGroup", &GdtAddon::Dist<&dist::NewGroup>),
        InstanceMethod("distGroupInfo", &GdtAddon::Dist<&dist::GroupInfo>),
        InstanceMethod("distAllReduce", &GdtAddon::Dist<&dist::AllReduce>),
        InstanceMethod("distBroadcast", &GdtAddon::Dist<&dist::Broadcast>),
        InstanceMethod("distAllGather", &GdtAddon::Dist<&dist::AllGather>),
        InstanceMethod("distReduceScatter", &GdtAddon::Dist<&dist::ReduceScatter>),
        InstanceMethod("distBarrier", &GdtAddon::Dist<&dist::Barrier>),
        InstanceMethod("distWait", &GdtAddon::Dist<&dist::Wait>),
        InstanceMethod("distWaitAsync", &GdtAddon::Dist<&dist::WaitAsync>),
        InstanceMethod("distIsCompleted", &GdtAddon::Dist<&dist::IsCompleted>),
        InstanceMethod("distAllReduceGradHook", &GdtAddon::Dist<&dist::AllReduceGradHook>),
        InstanceMethod("distRelease", &GdtAddon::Dist<&dist::Release>),
    });
  }

 private:
  AddonState state_;

  // Every entry point translates libtorch and standard exceptions (node-addon-api only catches
  // its own), so no input can abort the process.
  template <Napi::Value (GdtAddon::*Method)(const Napi::CallbackInfo&)>
  Napi::Value Safe(const Napi::CallbackInfo& info) {
    return translate(info.Env(), [&]() { return (this->*Method)(info); });
  }

  // Distributed entry points are free functions in native/distributed.cc, translated the same way.
  template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
  Napi::Value Dist(const Napi::CallbackInfo& info) {
    return translate(info.Env(), [&]() { return Fn(info); });
  }

  Napi::Value ResolveOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle) {
      throw Napi::Error::New(env, "unknown operator " + name + (overload.empty() ? "" : "." + overload) +
                                      " in this libtorch (" + TORCH_VERSION + ")");
    }
    state_.ops.push_back(describeOp(*handle));
    return Napi::Number::New(env, static_cast<double>(state_.ops.size() - 1));
  }

  // callOp(id, ...args): the hot path. Missing trailing arguments take the schema's defaults.
  Napi::Value CallOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    if (id >= state_.ops.size()) throw Napi::RangeError::New(env, "callOp: unknown operator id");
    const OpInfo& op = state_.ops[id];
    size_t nargs = op.args.size();
    if (info.Length() - 1 > nargs) {
      throw Napi::TypeError::New(env, op.name + ": takes " + std::to_string(nargs) + " arguments but " +
                                          std::to_string(info.Length() - 1) + " were given");
    }
    return translate(env, [&]() -> Napi::Value {
      torch::jit::Stack stack;
      stack.reserve(nargs);
      for (size_t i = 0; i < nargs; ++i) stack.push_back(toIValue(info[i + 1], op, i));
      op.handle.callBoxed(&stack);
      if (op.returnsMutatedInput) return env.Undefined();
      if (stack.empty()) return env.Undefined();
      if (stack.size() == 1) return fromIValue(env, &state_, stack[0]);
      auto arr = Napi::Array::New(env, stack.size());
      for (size_t i = 0; i < stack.size(); ++i) arr.Set(static_cast<uint32_t>(i), fromIValue(env, &state_, stack[i]));
      return arr;
    });
  }

  Napi::Value OpSchema(const Napi::CallbackInfo& info) {
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    std::ostringstream s;
    s << state_.ops.at(id).handle.schema();
    return Napi::String::New(info.Env(), s.str());
  }

  Napi::Value ListSchemas(const Napi::CallbackInfo& info) {
    auto names = c10::Dispatcher::singleton().getAllOpNames();
    std::vector<std::string> out;
    for (const auto& n : names) {
      auto h = c10::Dispatcher::singleton().findOp(n);
      if (!h || !h->hasSchema()) continue;
      std::ostringstream s;
      s << h->schema();
      out.push_back(s.str());
    }
    std::sort(out.begin(), out.end());
    auto arr = Napi::Array::New(info.Env(), out.size());
    for (size_t i = 0; i < out.size(); ++i) arr.Set(static_cast<uint32_t>(i), out[i]);
    return arr;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (info[0].Type() == napi_external) {
      auto* box = info[0].As<Napi::External<TensorBox>>().Data();
      if (box && box->kind == BoxKind::Tensor && box->tensor.defined()) {
        box->tensor.reset();
        state_.unlink(box);
      }
    }
    return info.Env().Undefined();
  }

  Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
    auto* box = info[0].As<Napi::External<TensorBox>>().Data();
    return Napi::Boolean::New(info.Env(), !box->tensor.defined());
  }

  // fromBuffer(arrayBufferOrView, dtype, shape, share): a CPU tensor from bytes; with share the
  // tensor uses the buffer's memory (zero-copy), otherwise it copies.
  Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    drainPendingReleases(env);
    void* data = nullptr;
    size_t byteLength = 0;
    Napi::Object holder;
    if (info[0].IsArrayBuffer()) {
      auto ab = info[0].As<Napi::ArrayBuffer>();
      data = ab.Data();
      byteLength = ab.ByteLength();
      holder = ab;
    } else if (info[0].IsTypedArray() || info[0].IsDataView()) {
      napi_value abv;
      size_t offset = 0;
      if (info[0].IsTypedArray()) {
        auto ta = info[0].As<Napi::TypedArray>();
        byteLength = ta.ByteLength();
        offset = ta.ByteOffset();
        abv = ta.ArrayBuffer();
      } else {
        auto dv = info[0].As<Napi::DataView>();
        byteLength = dv.ByteLength();
        offset = dv.ByteOffset();
        abv = dv.ArrayBuffer();
      }
      auto ab = Napi::ArrayBuffer(env, abv);
      data = static_cast<uint8_t*>(ab.Data()) + offset;
      holder = info[0].As<Napi::Object>();
    } else {
      throw Napi::TypeError::New(env, "fromBuffer: expected an ArrayBuffer, a TypedArray or a DataView");
    }
    auto dtype = static_cast<at::ScalarType>(info[1].As<Napi::Number>().Int32Value());
    auto shape = readInts(info[2], "fromBuffer shape");
    bool share = info.Length() > 3 && info[3].ToBoolean().Value();
    return translate(env, [&]() -> Napi::Value {
      int64_t numel = 1;
      for (auto d : shape) numel *= d;
      size_t need = static_cast<size_t>(numel) * c10::elementSize(dtype);
      if (need != byteLength) {
        throw Napi::RangeError::New(env, "fromBuffer: shape needs " + std::to_string(need) +
                                             " bytes but the buffer holds " + std::to_string(byteLength));
      }
      auto opts = at::TensorOptions().dtype(dtype);
      at::Tensor t;
      if (share && need > 0) {
        auto* sb = new SharedBuffer{env, nullptr, std::this_thread::get_id()};
        napi_create_reference(env, holder, 1, &sb->ref);
        t = at::from_blob(data, shape, [sb](void*) { releaseSharedBuffer(sb); }, opts);
      } else {
        t = at::empty(shape, opts);
        if (need) std::memcpy(t.data_ptr(), data, need);
      }
      return wrapTensor(env, &state_, t);
    });
  }

  // toBuffer(t): a new ArrayBuffer with the tensor's elements, contiguous, copied from any device.
  Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor& src = unwrapTensor(info[0], "toBuffer");
    return translate(env, [&]() -> Napi::Value {
      at::Tensor t = src.detach().to(at::kCPU).contiguous();
      size_t n = t.numel() * t.element_size();
      auto ab = Napi::ArrayBuffer::New(env, n);
      if (n) std::memcpy(ab.Data(), t.data_ptr(), n);
      return ab;
    });
  }

  Napi::Value Shape(const Napi::CallbackInfo& info) {
    auto sizes = unwrapTensor(info[0], "shape").sizes();
    auto arr = Napi::Array::New(info.Env(), sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) arr.Set(static_cast<uint32_t>(i), static_cast<double>(sizes[i]));
    return arr;
  }

  Napi::Value Strides(const Napi::CallbackInfo& info) {
    auto strides = unwrapTensor(info[0], "strides").strides();
    auto arr = Napi::Array::New(info.Env(), strides.size());
    for (size_t i = 0; i < strides.size(); ++i) arr.Set(static_cast<uint32_t>(i), static_cast<double>(strides[i]));
    return arr;
  }

  Napi::Value Dtype(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<int>(unwrapTensor(info[0], "dtype").scalar_type()));
  }

  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), unwrapTensor(info[0], "device").device().str());
  }

  Napi::Value DataPtr(const Napi::CallbackInfo& info) {
    const at::Tensor& t = unwrapTensor(info[0], "dataPtr");
    auto p = reinterpret_cast<uintptr_t>(t.has_storage() ? t.data_ptr() : nullptr);
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(p));
  }

  Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), unwrapTensor(info[0], "requiresGrad").requires_grad());
  }

  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
    at::Tensor& t = unwrapTensor(info[0], "requiresGrad_");
    bool flag = info[1].ToBoolean().Value();
    translate(info.Env(), [&]() { t.set_requires_grad(flag); return 0; });
    return info.Env().Undefined();
  }

  Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), unwrapTensor(info[0], "isLeaf").is_leaf());
  }

  Napi::Value GradFn(const Napi::CallbackInfo& info) {
    const auto& fn = unwrapTensor(info[0], "gradFn").grad_fn();
    if (!fn) return info.Env().Undefined();
    return Napi::String::New(info.Env(), fn->name());
  }

  Napi::Value Grad(const Napi::CallbackInfo& info) {
    const at::Tensor& g = unwrapTensor(info[0], "grad").grad();
    return wrapTensor(info.Env(), &state_, g);
  }

  Napi::Value SetGrad(const Napi::CallbackInfo& info) {
    at::Tensor& t = unwrapTensor(info[0], "setGrad");
    return translate(info.Env(), [&]() -> Napi::Value {
      if (info[1].IsUndefined() || info[1].IsNull()) t.mutable_grad().reset();
      else t.mutable_grad() = unwrapTensor(info[1], "setGrad");
      return info.Env().Undefined();
    });
  }

  // setData(t, src): t's data becomes src's (as `param.data = src` in PyTorch), keeping autograd
  // identity; used to load weights into parameters.
  Napi::Value SetData(const Napi::CallbackInfo& info) {
    at::Tensor& t = unwrapTensor(info[0], "setData");
    at::Tensor& src = unwrapTensor(info[1], "setData");
    return translate(info.Env(), [&]() -> Napi::Value {
      t.set_data(src);
      return info.Env().Undefined();
    });
  }

  // backward(tensors, grads, retainGraph, createGraph, inputs?)
  Napi::Value Backward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto tensors = readTensors(info[0], "backward", false);
    auto grads = readTensors(info[1], "backward gradient", true);
    c10::optional<bool> retain;
    if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
    bool create = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
    std::vector<at::Tensor> inputs;
    if (info.Length() > 4 && info[4].IsArray()) inputs = readTensors(info[4], "backward inputs", false);
    return translate(env, [&]() -> Napi::Value {
      torch::autograd::backward(tensors, grads, retain, create, inputs);
      return env.Undefined();
    });
  }

  // autogradGrad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused)
  Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto outputs = readTensors(info[0], "autograd.grad outputs", false);
    auto inputs = readTensors(info[1], "autograd.grad inputs", false);
    auto gradOutputs = readTensors(info[2], "autograd.grad gradOutputs", true);
    c10::optional<bool> retain;
    if (info[3].IsBoolean()) retain = info[3].As<Napi::Boolean>().Value();
    bool create = info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
    bool allowUnused = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
    return translate(env, [&]() -> Napi::Value {
      auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
      auto arr = Napi::Array::New(env, grads.size());
      for (size_t i = 0; i < grads.size(); ++i) arr.Set(static_cast<uint32_t>(i), wrapTensor(env, &state_, grads[i]));
      return arr;
    });
  }

  Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
    bool prev = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(info[0].ToBoolean().Value());
    return Napi::Boolean::New(info.Env(), prev);
  }

  Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
  }

  // Inference mode is a RAII guard in libtorch; scopes nest, so the guards live on a stack.
  Napi::Value EnterInferenceMode(const Napi::CallbackInfo& info) {
    state_.inferenceGuards.push_back(std::make_unique<c10::InferenceMode>(info[0].ToBoolean().Value()));
    return Napi::Number::New(info.Env(), static_cast<double>(state_.inferenceGuards.size()));
  }

  Napi::Value ExitInferenceMode(const Napi::CallbackInfo& info) {
    if (!state_.inferenceGuards.empty()) state_.inferenceGuards.pop_back();
    return Napi::Number::New(info.Env(), static_cast<double>(state_.inferenceGuards.size()));
  }

  Napi::Value IsInferenceMode(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
  }

  static uint64_t readSeed(const Napi::Value& v) {
    if (v.IsBigInt()) {
      bool lossless;
      return v.As<Napi::BigInt>().Uint64Value(&lossless);
    }
    return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
  }

  // manualSeed(seed): the CPU generator and every CUDA generator, as torch.manual_seed.
  Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
    uint64_t seed = readSeed(info[0]);
    return translate(info.Env(), [&]() -> Napi::Value {
      {
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
      for (int i = 0; i < static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()); ++i) {
        auto gen = at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, i));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
      return info.Env().Undefined();
    });
  }

  Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
    std::string dev = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "cpu";
    return translate(info.Env(), [&]() -> Napi::Value {
      c10::Device device(dev);
      at::Generator g;
      if (device.is_cpu()) {
        g = at::make_generator<at::CPUGeneratorImpl>();
      } else {
#ifdef GDT_WITH_CUDA
        g = at::globalContext().defaultGenerator(device).clone();
#else
        throw Napi::Error::New(info.Env(), "Generator(" + dev + "): this gdt build has no CUDA");
#endif
      }
      if (info.Length() > 1 && !info[1].IsUndefined()) g.set_current_seed(readSeed(info[1]));
      return wrapGenerator(info.Env(), g);
    });
  }

  Napi::Value DefaultGenerator(const Napi::CallbackInfo& info) {
    std::string dev = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "cpu";
    return translate(info.Env(), [&]() -> Napi::Value {
      return wrapGenerator(info.Env(), at::globalContext().defaultGenerator(c10::Device(dev)));
    });
  }

  Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
    auto& g = unwrapGenerator(info[0], "Generator.manualSeed");
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(readSeed(info[1]));
    return info.Env().Undefined();
  }

  Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info) {
    auto& g = unwrapGenerator(info[0], "Generator.initialSeed");
    return Napi::BigInt::New(info.Env(), g.current_seed());
  }

  Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
    auto& g = unwrapGenerator(info[0], "Generator.getState");
    return translate(info.Env(), [&]() -> Napi::Value {
      std::lock_guard<std::mutex> lock(g.mutex());
      return wrapTensor(info.Env(), &state_, g.get_state());
    });
  }

  Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
    auto& g = unwrapGenerator(info[0], "Generator.setState");
    at::Tensor& s = unwrapTensor(info[1], "Generator.setState");
    return translate(info.Env(), [&]() -> Napi::Value {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_state(s);
      return info.Env().Undefined();
    });
  }

  Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), at::get_num_threads());
  }
  Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
    return translate(info.Env(), [&]() -> Napi::Value {
      at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
      return info.Env().Undefined();
    });
  }
  Napi::Value GetNumInteropThreads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), at::get_num_interop_threads());
  }
  Napi::Value SetNumInteropThreads(const Napi::CallbackInfo& info) {
    return translate(info.Env(), [&]() -> Napi::Value {
      at::set_num_interop_threads(info[0].As<Napi::Number>().Int32Value());
      return info.Env().Undefined();
    });
  }

  Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
    bool on = info[0].ToBoolean().Value();
    bool warnOnly = info.Length() > 1 && info[1].ToBoolean().Value();
    at::globalContext().setDeterministicAlgorithms(on, warnOnly);
    at::globalContext().setDeterministicCuDNN(on);
    if (on) at::globalContext().setBenchmarkCuDNN(false);
    return info.Env().Undefined();
  }
  Napi::Value IsDeterministic(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), at::globalContext().deterministicAlgorithms());
  }

  // setAutocast(device, enabled, dtype): returns the previous [enabled, dtype] to restore.
  Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return translate(env, [&]() -> Napi::Value {
      auto dt = deviceType(info[0]);
      auto prev = Napi::Array::New(env, 2);
      prev.Set(0u, gdt_compat::isAutocastEnabled(dt));
      prev.Set(1u, static_cast<int>(gdt_compat::autocastDtype(dt)));
      gdt_compat::setAutocast(dt, info[1].ToBoolean().Value(),
                              static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value()));
      return prev;
    });
  }
  Napi::Value AutocastState(const Napi::CallbackInfo& info) {
    auto dt = deviceType(info[0]);
    auto out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, gdt_compat::isAutocastEnabled(dt));
    out.Set(1u, static_cast<int>(gdt_compat::autocastDtype(dt)));
    return out;
  }
  Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(at::autocast::increment_nesting()));
  }
  // Leaving the outermost autocast scope frees the cast-weight cache, as torch.autocast does.
  Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
    auto depth = at::autocast::decrement_nesting();
    if (depth == 0) at::autocast::clear_cache();
    return Napi::Number::New(info.Env(), static_cast<double>(depth));
  }

  Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
    drainPendingReleases(info.Env());
    return Napi::Number::New(info.Env(), static_cast<double>(state_.liveTensors));
  }
  Napi::Value NativeBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(state_.nativeBytes()));
  }

  Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("torchVersion", TORCH_VERSION);
#ifdef GDT_WITH_CUDA
    o.Set("cudaCompiled", true);
#else
    o.Set("cudaCompiled", false);
#endif
    o.Set("cudaAvailable", at::hasCUDA());
    o.Set("cuda", at::hasCUDA() ? at::detail::getCUDAHooks().showConfig() : std::string("not available"));
    o.Set("parallel", at::get_parallel_info());
    o.Set("config", at::show_config());
    o.Set("mkldnn", at::hasMKLDNN());
    o.Set("cxx11Abi", static_cast<bool>(_GLIBCXX_USE_CXX11_ABI));
    return o;
  }

  Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), at::hasCUDA() ? static_cast<double>(at::detail::getCUDAHooks().getNumGPUs()) : 0);
  }

  Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
#ifdef GDT_WITH_CUDA
    return translate(info.Env(), [&]() -> Napi::Value {
      if (info.Length() > 0 && info[0].IsNumber()) {
        c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(info[0].As<Napi::Number>().Int32Value()));
        c10::cuda::device_synchronize();
      } else {
        c10::cuda::device_synchronize();
      }
      return info.Env().Undefined();
    });
#else
    throw Napi::Error::New(info.Env(), "cuda.synchronize: this gdt build has no CUDA (build against a CUDA libtorch)");
#endif
  }

  Napi::Value CudaMemoryStats(const Napi::CallbackInfo& info) {
#ifdef GDT_WITH_CUDA
    return translate(info.Env(), [&]() -> Napi::Value {
      int dev = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
      auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(dev);
      constexpr auto agg = gdt_compat::kAggregateStat;
      auto o = Napi::Object::New(info.Env());
      o.Set("allocatedBytes", static_cast<double>(stats.allocated_bytes[agg].current));
      o.Set("peakAllocatedBytes", static_cast<double>(stats.allocated_bytes[agg].peak));
      o.Set("reservedBytes", static_cast<double>(stats.reserved_bytes[agg].current));
      o.Set("peakReservedBytes", static_cast<double>(stats.reserved_bytes[agg].peak));
      return o;
    });
#else
    throw Napi::Error::New(info.Env(), "cuda.memoryStats: this gdt build has no CUDA (build against a CUDA libtorch)");
#endif
  }

  Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
#ifdef GDT_WITH_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#endif
    return info.Env().Undefined();
  }

  Napi::Value SetCudnnBenchmark(const Napi::CallbackInfo& info) {
    at::globalContext().setBenchmarkCuDNN(info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }
};

}  // namespace gdt

using gdt::GdtAddon;
NODE_API_ADDON(GdtAddon)
