// c10d for gdt: TCPStore rendezvous, Gloo (and, in CUDA builds with NCCL headers, NCCL) process
// groups and their collectives with async work handles. Like the rest of the addon each function
// converts its arguments, makes one libtorch call and translates errors; the logic (averaging,
// unequal gathers, bucketing, SyncBatchNorm) lives in src/distributed/.
//
// Blocking: store creation and group creation wait for the other ranks, so they run on the libuv
// thread pool and return Promises. Collectives only enqueue (Gloo runs them on its own threads)
// and return a work handle; distWait blocks the calling thread until the work is done or the
// timeout passes (every collective is also bounded by the group's timeout), distWaitAsync waits
// on the thread pool instead.
#if __has_include(<gloo/algorithm.h>)
#define USE_C10D_GLOO 1
#define GDT_HAVE_GLOO 1
#endif
#if defined(GDT_WITH_CUDA) && __has_include(<nccl.h>)
#define USE_C10D_NCCL 1
#define GDT_HAVE_NCCL 1
#endif
#define GDT_COMPAT_DISTRIBUTED 1
#ifdef GDT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>  // compat.h's CUDA section names its types
#endif
#include "compat.h"
#include "handles.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace gdt {
namespace dist {
namespace {

using Ms = std::chrono::milliseconds;

enum class DistKind : uint32_t { Store = 0x7e750101, Group = 0x7e750102, Work = 0x7e750103 };

// The first member is a 32-bit kind, as in TensorBox and GeneratorBox, so any addon External can
// be told apart by reading it.
struct DistBox {
  DistKind kind;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<gdt_compat::DistGroup> group;
  c10::intrusive_ptr<c10d::Work> work;
  std::string backend;
};

const char* kindName(DistKind k) {
  switch (k) {
    case DistKind::Store: return "a Store";
    case DistKind::Group: return "a ProcessGroup";
    case DistKind::Work: return "a Work";
  }
  return "a handle";
}

void finalizeDistBox(Napi::Env, DistBox* box) { delete box; }

Napi::Value wrap(Napi::Env env, DistBox* box) { return Napi::External<DistBox>::New(env, box, finalizeDistBox); }

DistBox* unwrap(const Napi::Value& v, DistKind kind, const char* what) {
  if (v.Type() == napi_external) {
    auto* box = v.As<Napi::External<DistBox>>().Data();
    if (box && box->kind == kind) {
      bool live = kind == DistKind::Store ? box->store.defined() : kind == DistKind::Group ? box->group.defined() : box->work.defined();
      if (!live) throw Napi::Error::New(v.Env(), std::string(what) + ": the handle was released");
      return box;
    }
  }
  throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected " + kindName(kind));
}

c10::intrusive_ptr<c10d::Store>& storeOf(const Napi::Value& v, const char* what) { return unwrap(v, DistKind::Store, what)->store; }
c10::intrusive_ptr<gdt_compat::DistGroup>& groupOf(const Napi::Value& v, const char* what) { return unwrap(v, DistKind::Group, what)->group; }

Napi::Value wrapWork(Napi::Env env, c10::intrusive_ptr<c10d::Work> w) {
  auto* box = new DistBox{DistKind::Work, {}, {}, std::move(w), {}};
  return wrap(env, box);
}

std::vector<at::Tensor> readTensorList(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(unwrapTensor(arr.Get(i), what));
  return out;
}

Ms readMs(const Napi::Value& v) {
  // 0 or negative (or missing): no timeout of gdt's own.
  if (!v.IsNumber()) return ::kNoTimeout;
  double ms = v.As<Napi::Number>().DoubleValue();
  return ms > 0 ? Ms(static_cast<int64_t>(ms)) : ::kNoTimeout;
}

c10d::ReduceOp readOp(const Napi::Value& v) {
  int op = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0;
  if (op < 0 || op > 7 || op == static_cast<int>(c10d::ReduceOp::AVG)) {
    throw Napi::RangeError::New(v.Env(), "reduce op code " + std::to_string(op) + " is not supported (SUM 0, PRODUCT 2, MIN 3, MAX 4, BAND 5, BOR 6, BXOR 7)");
  }
  return c10d::ReduceOp(static_cast<c10d::ReduceOp::RedOpType>(op));
}

std::string messageOf(const std::exception& e) {
  if (auto* ce = dynamic_cast<const c10::Error*>(&e)) return ce->what_without_backtrace();
  return e.what();
}

// Runs `run` on the libuv thread pool and settles a Promise with `done` (on the JavaScript thread)
// or with a JavaScript Error carrying libtorch's message.
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, std::function<void()> run, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "gdt.distributed"), deferred_(Napi::Promise::Deferred::New(env)), run_(std::move(run)), done_(std::move(done)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      run_();
    } catch (const std::exception& e) {
      SetError(messageOf(e));
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    try {
      deferred_.Resolve(done_(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(Env(), messageOf(e)).Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> run_;
  std::function<Napi::Value(Napi::Env)> done_;
};

Napi::Value startTask(Napi::Env env, std::function<void()> run, std::function<Napi::Value(Napi::Env)> done) {
  auto* t = new Task(env, std::move(run), std::move(done));
  auto p = t->promise();
  t->Queue();
  return p;
}

}  // namespace

// distInfo(): which backends this build has.
Napi::Value Info(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
#ifdef GDT_HAVE_GLOO
  o.Set("gloo", true);
#else
  o.Set("gloo", false);
#endif
#ifdef GDT_HAVE_NCCL
  o.Set("nccl", true);
#else
  o.Set("nccl", false);
#endif
  return o;
}

// distTcpStore(host, port, worldSize, isServer, timeoutMs, waitWorkers) -> Promise<Store>.
// The server (rank 0) listens on `port` and, with waitWorkers, returns once worldSize stores
// (itself included) have joined; clients retry connecting until the timeout.
Napi::Value TcpStore(const Napi::CallbackInfo& info) {
  std::string host = info[0].As<Napi::String>().Utf8Value();
  int port = info[1].As<Napi::Number>().Int32Value();
  if (port < 0 || port > 65535) throw Napi::RangeError::New(info.Env(), "TCPStore: port must be in [0, 65535]");
  auto worldSize = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  bool isServer = info[3].ToBoolean().Value();
  Ms timeout(static_cast<int64_t>(info[4].As<Napi::Number>().DoubleValue()));
  bool waitWorkers = info[5].ToBoolean().Value();
  auto opts = gdt_compat::tcpStoreOptions(static_cast<uint16_t>(port), isServer, worldSize, waitWorkers, timeout);
  auto result = std::make_shared<c10::intrusive_ptr<c10d::Store>>();
  return startTask(
      info.Env(), [=]() { *result = c10::make_intrusive<c10d::TCPStore>(host, opts); },
      [result](Napi::Env env) { return wrap(env, new DistBox{DistKind::Store, *result, {}, {}, {}}); });
}

// distPrefixStore(store, prefix) -> Store whose keys are prefixed (one group per prefix).
Napi::Value PrefixStore(const Napi::CallbackInfo& info) {
  auto& base = storeOf(info[0], "PrefixStore");
  std::string prefix = info[1].As<Napi::String>().Utf8Value();
  c10::intrusive_ptr<c10d::Store> s = c10::make_intrusive<c10d::PrefixStore>(prefix, base);
  return wrap(info.Env(), new DistBox{DistKind::Store, s, {}, {}, {}});
}

// distStoreSet(store, key, bytes | string)
Napi::Value StoreSet(const Napi::CallbackInfo& info) {
  auto& s = storeOf(info[0], "Store.set");
  std::string key = info[1].As<Napi::String>().Utf8Value();
  std::vector<uint8_t> value;
  if (info[2].IsString()) {
    std::string str = info[2].As<Napi::String>().Utf8Value();
    value.assign(str.begin(), str.end());
  } else if (info[2].IsTypedArray()) {
    auto ta = info[2].As<Napi::TypedArray>();
    auto* p = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    value.assign(p, p + ta.ByteLength());
  } else {
    throw Napi::TypeError::New(info.Env(), "Store.set: value must be a string or a Uint8Array");
  }
  s->set(key, value);
  return info.Env().Undefined();
}

// distStoreGet(store, key) -> Uint8Array; waits for the key up to the store's timeout.
Napi::Value StoreGet(const Napi::CallbackInfo& info) {
  auto& s = storeOf(info[0], "Store.get");
  std::string key = info[1].As<Napi::String>().Utf8Value();
  std::vector<uint8_t> v = s->get(key);
  return Napi::Buffer<uint8_t>::Copy(info.Env(), v.data(), v.size());
}

// distStoreAdd(store, key, amount) -> the new value (an atomic counter).
Napi::Value StoreAdd(const Napi::CallbackInfo& info) {
  auto& s = storeOf(info[0], "Store.add");
  std::string key = info[1].As<Napi::String>().Utf8Value();
  int64_t n = s->add(key, info[2].As<Napi::Number>().Int64Value());
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// distNewGroup(backend, store, rank, size, timeoutMs, device) -> Promise<ProcessGroup>.
// `device` picks the Gloo transport address: {iface} (GLOO_SOCKET_IFNAME), {hostname}, or {} for
// the default (this host's name, falling back to the loopback address).
Napi::Value NewGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string backend = info[0].As<Napi::String>().Utf8Value();
  auto store = storeOf(info[1], "new_group");
  int rank = info[2].As<Napi::Number>().Int32Value();
  int size = info[3].As<Napi::Number>().Int32Value();
  Ms timeout(static_cast<int64_t>(info[4].As<Napi::Number>().DoubleValue()));
  std::string iface, hostname;
  if (info[5].IsObject()) {
    auto d = info[5].As<Napi::Object>();
    if (d.Get("iface").IsString()) iface = d.Get("iface").As<Napi::String>().Utf8Value();
    if (d.Get("hostname").IsString()) hostname = d.Get("hostname").As<Napi::String>().Utf8Value();
  }
  auto result = std::make_shared<c10::intrusive_ptr<gdt_compat::DistGroup>>();
  std::function<void()> run;
  if (backend == "gloo") {
#ifdef GDT_HAVE_GLOO
    run = [=]() {
      auto opts = gdt_compat::glooOptions(timeout);
      if (!iface.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
      else if (!hostname.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
      else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      *result = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
    };
#else
    throw Napi::Error::New(env, "the gloo backend is not in this gdt build: install Gloo's headers (Debian: apt-get install libgloo-dev) and rebuild (npm run build:native)");
#endif
  } else if (backend == "nccl") {
#ifdef GDT_HAVE_NCCL
    run = [=]() { *result = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, gdt_compat::ncclOptions(timeout)); };
#else
    throw Napi::Error::New(env, "the nccl backend needs a CUDA build of gdt with NCCL's headers (GDT_WITH_CUDA and nccl.h)");
#endif
  } else {
    throw Napi::RangeError::New(env, "unknown backend '" + backend + "' (expected 'gloo' or 'nccl')");
  }
  return startTask(env, run, [result, backend](Napi::Env e) { return wrap(e, new DistBox{DistKind::Group, {}, *result, {}, backend}); });
}

// distGroupInfo(group) -> {rank, size, backend}
Napi::Value GroupInfo(const Napi::CallbackInfo& info) {
  auto* box = unwrap(info[0], DistKind::Group, "ProcessGroup");
  auto o = Napi::Object::New(info.Env());
  o.Set("rank", box->group->getRank());
  o.Set("size", box->group->getSize());
  o.Set("backend", box->backend);
  return o;
}

// distAllReduce(group, tensors, op) -> Work; reduces in place.
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  auto& g = groupOf(info[0], "allReduce");
  auto tensors = readTensorList(info[1], "allReduce");
  c10d::AllreduceOptions o;
  o.reduceOp = readOp(info[2]);
  return wrapWork(info.Env(), g->allreduce(tensors, o));
}

// distBroadcast(group, tensors, root) -> Work; in place.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  auto& g = groupOf(info[0], "broadcast");
  auto tensors = readTensorList(info[1], "broadcast");
  c10d::BroadcastOptions o;
  o.rootRank = info[2].As<Napi::Number>().Int64Value();
  return wrapWork(info.Env(), g->broadcast(tensors, o));
}

// distAllGather(group, outputs, input) -> Work; outputs (one per rank, input's shape) are filled.
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  auto& g = groupOf(info[0], "allGather");
  std::vector<std::vector<at::Tensor>> outputs{readTensorList(info[1], "allGather outputs")};
  std::vector<at::Tensor> inputs{unwrapTensor(info[2], "allGather input")};
  return wrapWork(info.Env(), g->allgather(outputs, inputs));
}

// distReduceScatter(group, output, inputs, op) -> Work (Gloo before 2.x does not implement it).
Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
  auto& g = groupOf(info[0], "reduceScatter");
  std::vector<at::Tensor> outputs{unwrapTensor(info[1], "reduceScatter output")};
  std::vector<std::vector<at::Tensor>> inputs{readTensorList(info[2], "reduceScatter inputs")};
  c10d::ReduceScatterOptions o;
  o.reduceOp = readOp(info[3]);
  return wrapWork(info.Env(), g->reduce_scatter(outputs, inputs, o));
}

// distBarrier(group) -> Work
Napi::Value Barrier(const Napi::CallbackInfo& info) {
  auto& g = groupOf(info[0], "barrier");
  return wrapWork(info.Env(), g->barrier());
}

// distWait(work, timeoutMs) -> true; blocks this thread until the work completes, throws the
// work's error, or throws when timeoutMs (> 0) passes first.
Napi::Value Wait(const Napi::CallbackInfo& info) {
  auto* box = unwrap(info[0], DistKind::Work, "Work.wait");
  return Napi::Boolean::New(info.Env(), box->work->wait(readMs(info[1])));
}

// distWaitAsync(work, timeoutMs) -> Promise<true>: the same wait on the thread pool.
Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  auto work = unwrap(info[0], DistKind::Work, "Work.waitAsync")->work;
  Ms timeout = readMs(info[1]);
  auto ok = std::make_shared<bool>(false);
  return startTask(
      info.Env(), [=]() { *ok = work->wait(timeout); }, [ok](Napi::Env env) { return Napi::Boolean::New(env, *ok); });
}

// distIsCompleted(work) -> bool (true also when it failed)
Napi::Value IsCompleted(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrap(info[0], DistKind::Work, "Work.isCompleted")->work->isCompleted());
}

// distAllReduceGradHook(tensor, group, op, timeoutMs): registers a libtorch gradient hook on the
// tensor that all-reduces the gradient flowing into it (a differentiable all_reduce's backward),
// waiting up to timeoutMs. The hook runs inside backward() on the thread that runs it.
Napi::Value AllReduceGradHook(const Napi::CallbackInfo& info) {
  at::Tensor& t = unwrapTensor(info[0], "allReduceGradHook");
  auto g = groupOf(info[1], "allReduceGradHook");
  c10d::ReduceOp op = readOp(info[2]);
  Ms timeout = readMs(info[3]);
  auto id = t.register_hook([g, op, timeout](const at::Tensor& grad) -> at::Tensor {
    std::vector<at::Tensor> v{grad.detach().clone(at::MemoryFormat::Contiguous)};
    c10d::AllreduceOptions o;
    o.reduceOp = op;
    g->allreduce(v, o)->wait(timeout);
    return v[0];
  });
  return Napi::Number::New(info.Env(), static_cast<double>(id));
}

// distRelease(handle): drops the native object now (a group's destructor joins its threads).
Napi::Value Release(const Napi::CallbackInfo& info) {
  if (info[0].Type() == napi_external) {
    auto* box = info[0].As<Napi::External<DistBox>>().Data();
    if (box && (box->kind == DistKind::Store || box->kind == DistKind::Group || box->kind == DistKind::Work)) {
      box->work.reset();
      box->group.reset();
      box->store.reset();
    }
  }
  return info.Env().Undefined();
}

}  // namespace dist
}  // namespace gdt
