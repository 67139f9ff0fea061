// JavaScript <-> IValue conversion for boxed operator calls, driven by each operator's schema.
#include "handles.h"
#include "compat.h"

#include <sstream>

namespace gdt {

namespace {

void finalizeTensorBox(Napi::Env, TensorBox* box) {
  if (box->state) box->state->unlink(box);
  delete box;
}

void finalizeGeneratorBox(Napi::Env, GeneratorBox* box) { delete box; }

[[noreturn]] void throwType(const Napi::Env& env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

const char* jsTypeName(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return v.IsArray() ? "array" : "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "unknown";
}

std::string describeArg(const OpInfo& op, size_t index) {
  const auto& arg = op.handle.schema().arguments()[index];
  std::ostringstream s;
  s << op.name << ": argument '" << arg.name() << "' (position " << index + 1 << ") must be "
    << arg.type()->str();
  if (op.args[index].listSize > 0) s << " (an array, or one value for all " << op.args[index].listSize << ")";
  return s.str();
}

bool isNumberLike(const Napi::Value& v) { return v.IsNumber() || v.IsBigInt(); }

int64_t toInt(const Napi::Value& v, bool* lossless) {
  if (v.IsBigInt()) return v.As<Napi::BigInt>().Int64Value(lossless);
  double d = v.As<Napi::Number>().DoubleValue();
  *lossless = (d == static_cast<double>(static_cast<int64_t>(d)));
  return static_cast<int64_t>(d);
}

// A bare value for a sized list (e.g. kernel_size=3 for int[2]) repeats, as in PyTorch's
// argument parser; an array passes through as given (the operator checks its length, e.g.
// sum(dim=[1, 2]) for an int[1] dim).
template <typename T, typename Read>
std::vector<T> readList(const Napi::Value& v, const ArgInfo& info, Read read, bool* ok) {
  std::vector<T> out;
  if (v.IsArray()) {
    auto arr = v.As<Napi::Array>();
    uint32_t n = arr.Length();
    out.reserve(n);
    for (uint32_t i = 0; i < n && *ok; ++i) out.push_back(read(arr.Get(i), ok));
  } else if (info.listSize > 0) {
    T one = read(v, ok);
    out.assign(info.listSize, one);
  } else {
    *ok = false;
  }
  return out;
}

}  // namespace

Napi::Value wrapTensor(Napi::Env env, AddonState* state, at::Tensor t) {
  if (!t.defined()) return env.Undefined();
  auto* box = new TensorBox();
  box->tensor = std::move(t);
  box->state = state;
  state->link(box);
  return Napi::External<TensorBox>::New(env, box, finalizeTensorBox);
}

TensorBox* unwrapTensorBox(const Napi::Value& v, const char* what) {
  if (v.Type() == napi_external) {
    auto* box = v.As<Napi::External<TensorBox>>().Data();
    if (box && box->kind == BoxKind::Tensor) {
      if (!box->tensor.defined()) {
        throw Napi::Error::New(v.Env(), std::string(what) + ": the tensor was already disposed");
      }
      return box;
    }
  }
  throwType(v.Env(), std::string(what) + ": expected a Tensor but got " + jsTypeName(v));
}

Napi::Value wrapGenerator(Napi::Env env, at::Generator g) {
  auto* box = new GeneratorBox();
  box->generator = std::move(g);
  return Napi::External<GeneratorBox>::New(env, box, finalizeGeneratorBox);
}

at::Generator& unwrapGenerator(const Napi::Value& v, const char* what) {
  if (v.Type() == napi_external) {
    auto* box = v.As<Napi::External<GeneratorBox>>().Data();
    if (box && box->kind == BoxKind::Generator) return box->generator;
  }
  throwType(v.Env(), std::string(what) + ": expected a Generator but got " + jsTypeName(v));
}

OpInfo describeOp(const c10::OperatorHandle& handle) {
  const auto& schema = handle.schema();
  OpInfo info{handle, {}, false, schema.name() + (schema.overload_name().empty() ? "" : "." + schema.overload_name())};
  for (const auto& arg : schema.arguments()) {
    c10::TypePtr t = arg.type();
    bool optional = false;
    if (t->kind() == c10::TypeKind::OptionalType) {
      optional = true;
      t = t->expectRef<c10::OptionalType>().getElementType();
    }
    ArgKind kind = ArgKind::Unsupported;
    int listSize = arg.N() ? static_cast<int>(*arg.N()) : 0;
    switch (t->kind()) {
      case c10::TypeKind::TensorType: kind = ArgKind::Tensor; break;
      case c10::TypeKind::FloatType: kind = ArgKind::Float; break;
      case c10::TypeKind::BoolType: kind = ArgKind::Bool; break;
      case c10::TypeKind::NumberType: kind = ArgKind::Scalar; break;
      case c10::TypeKind::StringType: kind = ArgKind::String; break;
      case c10::TypeKind::DeviceObjType: kind = ArgKind::Device; break;
      case c10::TypeKind::GeneratorType: kind = ArgKind::Generator; break;
      case c10::TypeKind::ListType: {
        auto elem = t->expectRef<c10::ListType>().getElementType();
        if (elem->kind() == c10::TypeKind::TensorType) kind = ArgKind::TensorList;
        else if (elem->kind() == c10::TypeKind::OptionalType &&
                 elem->expectRef<c10::OptionalType>().getElementType()->kind() == c10::TypeKind::TensorType)
          kind = ArgKind::OptionalTensorList;
        else if (gdt_compat::isIntLike(elem)) kind = ArgKind::IntList;
        else if (elem->kind() == c10::TypeKind::FloatType) kind = ArgKind::FloatList;
        else if (elem->kind() == c10::TypeKind::BoolType) kind = ArgKind::BoolList;
        else if (elem->kind() == c10::TypeKind::NumberType) kind = ArgKind::ScalarList;
        break;
      }
      default:
        if (gdt_compat::isIntLike(t)) kind = ArgKind::Int;
        break;
    }
    info.args.push_back(ArgInfo{kind, optional, listSize, arg.default_value()});
  }
  const auto& rets = schema.returns();
  info.returnsMutatedInput = rets.size() == 1 && rets[0].alias_info() && rets[0].alias_info()->isWrite() &&
                             rets[0].type()->kind() == c10::TypeKind::TensorType;
  return info;
}

c10::IValue toIValue(const Napi::Value& v, const OpInfo& op, size_t index) {
  const ArgInfo& info = op.args[index];
  Napi::Env env = v.Env();
  if (v.IsUndefined() || v.IsNull()) {
    if (v.IsUndefined() && info.defaultValue) return *info.defaultValue;
    if (info.optional) return c10::IValue();
    throwType(env, describeArg(op, index) + " but got " + jsTypeName(v));
  }
  bool ok = true;
  auto fail = [&]() { throwType(env, describeArg(op, index) + " but got " + jsTypeName(v)); };
  switch (info.kind) {
    case ArgKind::Tensor:
      if (v.Type() != napi_external) fail();
      return unwrapTensor(v, op.name.c_str());
    case ArgKind::TensorList: {
      if (!v.IsArray()) fail();
      auto arr = v.As<Napi::Array>();
      std::vector<at::Tensor> ts;
      ts.reserve(arr.Length());
      for (uint32_t i = 0; i < arr.Length(); ++i) ts.push_back(unwrapTensor(arr.Get(i), op.name.c_str()));
      return c10::IValue(ts);
    }
    case ArgKind::OptionalTensorList: {
      if (!v.IsArray()) fail();
      auto arr = v.As<Napi::Array>();
      c10::List<c10::optional<at::Tensor>> ts;
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        Napi::Value e = arr.Get(i);
        if (e.IsUndefined() || e.IsNull()) ts.push_back(c10::nullopt);
        else ts.push_back(unwrapTensor(e, op.name.c_str()));
      }
      return c10::IValue(ts);
    }
    case ArgKind::Int: {
      if (!isNumberLike(v)) fail();
      int64_t x = toInt(v, &ok);
      if (!ok) throwType(env, describeArg(op, index) + " but got a non-integer number");
      return c10::IValue(x);
    }
    case ArgKind::IntList: {
      auto xs = readList<int64_t>(v, info, [](const Napi::Value& e, bool* good) {
        if (!isNumberLike(e)) { *good = false; return int64_t(0); }
        return toInt(e, good);
      }, &ok);
      if (!ok) fail();
      return c10::IValue(xs);
    }
    case ArgKind::Float:
      if (!v.IsNumber()) fail();
      return c10::IValue(v.As<Napi::Number>().DoubleValue());
    case ArgKind::FloatList: {
      auto xs = readList<double>(v, info, [](const Napi::Value& e, bool* good) {
        if (!e.IsNumber()) { *good = false; return 0.0; }
        return e.As<Napi::Number>().DoubleValue();
      }, &ok);
      if (!ok) fail();
      return c10::IValue(xs);
    }
    case ArgKind::Bool:
      if (!v.IsBoolean()) fail();
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case ArgKind::BoolList: {
      auto xs = readList<bool>(v, info, [](const Napi::Value& e, bool* good) {
        if (!e.IsBoolean()) { *good = false; return false; }
        return e.As<Napi::Boolean>().Value();
      }, &ok);
      if (!ok) fail();
      c10::List<bool> list;
      for (bool b : xs) list.push_back(b);
      return c10::IValue(list);
    }
    case ArgKind::Scalar: {
      // An integral JavaScript number is an integer Scalar (as a Python int), otherwise a float.
      if (v.IsBoolean()) return c10::IValue(at::Scalar(v.As<Napi::Boolean>().Value()));
      if (v.IsBigInt()) return c10::IValue(at::Scalar(toInt(v, &ok)));
      if (!v.IsNumber()) fail();
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0)
        return c10::IValue(at::Scalar(static_cast<int64_t>(d)));
      return c10::IValue(at::Scalar(d));
    }
    case ArgKind::ScalarList: {
      if (!v.IsArray()) fail();
      auto arr = v.As<Napi::Array>();
      std::vector<at::Scalar> xs;
      xs.reserve(arr.Length());
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        Napi::Value e = arr.Get(i);
        if (e.IsBoolean()) xs.emplace_back(e.As<Napi::Boolean>().Value());
        else if (e.IsNumber()) xs.emplace_back(e.As<Napi::Number>().DoubleValue());
        else fail();
      }
      return c10::IValue(xs);
    }
    case ArgKind::String:
      if (!v.IsString()) fail();
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case ArgKind::Device:
      if (!v.IsString()) fail();
      return c10::IValue(c10::Device(v.As<Napi::String>().Utf8Value()));
    case ArgKind::Generator:
      return c10::IValue(unwrapGenerator(v, op.name.c_str()));
    case ArgKind::Unsupported:
      break;
  }
  throwType(env, describeArg(op, index) + ", a type gdt cannot pass from JavaScript");
}

Napi::Value fromIValue(Napi::Env env, AddonState* state, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, state, v.toTensor());
  if (v.isNone()) return env.Undefined();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) arr.Set(static_cast<uint32_t>(i), wrapTensor(env, state, list.get(i)));
    return arr;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto arr = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) arr.Set(static_cast<uint32_t>(i), fromIValue(env, state, elems[i]));
    return arr;
  }
  if (v.isList()) {
    auto list = v.toListRef();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) arr.Set(static_cast<uint32_t>(i), fromIValue(env, state, list[i]));
    return arr;
  }
  if (v.isScalar()) {
    auto s = v.toScalar();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    return Napi::Number::New(env, s.toDouble());
  }
  throw Napi::TypeError::New(env, std::string("gdt cannot return a value of type ") + v.tagKind() + " to JavaScript");
}

}  // namespace gdt
