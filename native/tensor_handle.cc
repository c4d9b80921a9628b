// TensorHandle lifetime, argument readers, tensor creation/conversion,
// autograd entry points and global engine settings (seed, threads, grad mode).
#include "common.h"

#include <atomic>
#include <cstring>

namespace deepcut {

namespace {
// One addon instance per process (the main thread); worker threads are not supported.
Napi::FunctionReference* g_tensorCtor = nullptr;
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_reported{0};  // bytes currently reported to V8

int64_t TensorBytes(const torch::Tensor& t) {
  return t.defined() ? static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size()) : 0;
}
}  // namespace

// ---------------------------------------------------------------------------
// TensorHandle

Napi::Function TensorHandle::Init(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "TensorHandle",
                                    {InstanceMethod("dispose", &TensorHandle::Dispose),
                                     InstanceMethod("reportToGc", &TensorHandle::ReportToGc),
                                     InstanceAccessor("disposed", &TensorHandle::IsDisposed, nullptr)});
  g_tensorCtor = new Napi::FunctionReference(Napi::Persistent(ctor));
  return ctor;
}

TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {
  env_ = info.Env();
}

TensorHandle::~TensorHandle() {
  // Reached only when GC collects a handle that was never disposed.
  if (!disposed_) {
    int64_t adjusted = 0;
    napi_adjust_external_memory(env_, -reportedBytes_, &adjusted);
    g_reported -= reportedBytes_;
    g_live--;
  }
}

Napi::Object TensorHandle::Wrap(Napi::Env env, torch::Tensor tensor) {
  Napi::Object obj = g_tensorCtor->New({});
  TensorHandle* handle = Unwrap(obj);
  handle->tensor_ = std::move(tensor);
  handle->disposed_ = false;
  g_live++;
  return obj;
}

bool TensorHandle::IsHandle(const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(g_tensorCtor->Value());
}

int64_t TensorHandle::LiveCount() { return g_live.load(); }

torch::Tensor& TensorHandle::tensor(Napi::Env env) {
  if (disposed_) {
    throw Napi::Error::New(env, "tensor used after dispose(): it was freed explicitly or by the scope that created it (return it from the scope or keep() it to use it later)");
  }
  return tensor_;
}

void TensorHandle::Release(Napi::Env env) {
  if (disposed_) return;  // dispose() is idempotent
  disposed_ = true;
  tensor_ = torch::Tensor();
  if (reportedBytes_ != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -reportedBytes_);
    g_reported -= reportedBytes_;
    reportedBytes_ = 0;
  }
  g_live--;
}

Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  Release(info.Env());
  return info.Env().Undefined();
}

Napi::Value TensorHandle::ReportToGc(const Napi::CallbackInfo& info) {
  if (!disposed_ && reportedBytes_ == 0) {
    reportedBytes_ = TensorBytes(tensor_);
    g_reported += reportedBytes_;
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), reportedBytes_);
  }
  return info.Env().Undefined();
}

Napi::Value TensorHandle::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), disposed_);
}

// ---------------------------------------------------------------------------
// Argument readers

static Napi::Error ArgError(const Napi::CallbackInfo& info, size_t i, const char* expected) {
  return Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + ": expected " + expected);
}

torch::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !TensorHandle::IsHandle(info[i])) throw ArgError(info, i, "a tensor");
  return TensorHandle::Unwrap(info[i].As<Napi::Object>())->tensor(info.Env());
}

c10::optional<torch::Tensor> ArgOptTensor(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return c10::nullopt;
  return ArgTensor(info, i);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) throw ArgError(info, i, "an integer");
  return info[i].As<Napi::Number>().Int64Value();
}

double ArgDouble(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) throw ArgError(info, i, "a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsBoolean()) throw ArgError(info, i, "a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString()) throw ArgError(info, i, "a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> ArgIntList(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw ArgError(info, i, "an array of integers");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) throw ArgError(info, i, "an array of integers");
    out[k] = v.As<Napi::Number>().Int64Value();
  }
  return out;
}

std::vector<torch::Tensor> ArgTensorList(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw ArgError(info, i, "an array of tensors");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<torch::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!TensorHandle::IsHandle(v)) throw ArgError(info, i, "an array of tensors");
    out.push_back(TensorHandle::Unwrap(v.As<Napi::Object>())->tensor(info.Env()));
  }
  return out;
}

torch::ScalarType ParseDtype(Napi::Env env, const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "float64") return torch::kFloat64;
  if (name == "float16") return torch::kFloat16;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "int64") return torch::kInt64;
  if (name == "int32") return torch::kInt32;
  if (name == "uint8") return torch::kUInt8;
  if (name == "bool") return torch::kBool;
  throw Napi::TypeError::New(env, "unknown dtype '" + name + "' (expected float32, float64, float16, bfloat16, int64, int32, uint8 or bool)");
}

std::string DtypeName(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(type);
  }
}

// ---------------------------------------------------------------------------
// Creation and conversion

namespace {

// A device argument: a string such as "cpu", "cuda" or "cuda:1", or undefined for the CPU.
torch::Device OptDevice(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return torch::Device(torch::kCPU);
  return ParseDevice(info.Env(), ArgString(info, i));
}

// dtype at dtypeArg (default float32), device right after it (default CPU).
torch::TensorOptions Options(const Napi::CallbackInfo& info, size_t dtypeArg) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(OptDevice(info, dtypeArg + 1));
  if (dtypeArg < info.Length() && info[dtypeArg].IsString()) opts = opts.dtype(ParseDtype(info.Env(), ArgString(info, dtypeArg)));
  return opts;
}

// Host data always lands on the CPU first (it is copied out of a JS buffer); one copy moves it.
torch::Tensor OnDevice(torch::Tensor t, const torch::Device& device) {
  return t.device() == device ? t : t.to(device);
}

// Copies `bytes` into a fresh tensor of the given shape and dtype.
torch::Tensor FromBytes(Napi::Env env, const uint8_t* data, size_t byteLength, const std::vector<int64_t>& shape,
                        torch::ScalarType type) {
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Napi::RangeError::New(env, "shape has a negative dimension");
    numel *= d;
  }
  size_t expected = static_cast<size_t>(numel) * c10::elementSize(type);
  if (expected != byteLength) {
    throw Napi::RangeError::New(env, "data holds " + std::to_string(byteLength) + " bytes but shape and dtype " +
                                         DtypeName(type) + " need " + std::to_string(expected));
  }
  torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(type));
  if (byteLength > 0) std::memcpy(out.data_ptr(), data, byteLength);
  return out;
}

Napi::Value FromTypedArray(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsTypedArray()) throw ArgError(info, 0, "a typed array");
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    torch::ScalarType type;
    switch (arr.TypedArrayType()) {
      case napi_float32_array: type = torch::kFloat32; break;
      case napi_float64_array: type = torch::kFloat64; break;
      case napi_bigint64_array: type = torch::kInt64; break;
      case napi_int32_array: type = torch::kInt32; break;
      case napi_uint8_array: type = torch::kUInt8; break;
      default: throw ArgError(info, 0, "a Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array");
    }
    const uint8_t* data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    torch::Tensor t = FromBytes(info.Env(), data, arr.ByteLength(), ArgIntList(info, 1), type);
    if (info.Length() > 2 && info[2].IsString()) {
      torch::ScalarType target = ParseDtype(info.Env(), ArgString(info, 2));
      if (target != type) t = t.to(target);
    }
    return Wrap(info, OnDevice(t, OptDevice(info, 3)));
  });
}

Napi::Value FromRawBytes(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    if (info.Length() < 3 || !info[0].IsTypedArray()) throw ArgError(info, 0, "a Uint8Array");
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    const uint8_t* data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    return Wrap(info, OnDevice(FromBytes(info.Env(), data, arr.ByteLength(), ArgIntList(info, 2),
                                         ParseDtype(info.Env(), ArgString(info, 1))),
                               OptDevice(info, 3)));
  });
}

torch::Tensor CpuContiguous(const torch::Tensor& t) { return t.detach().to(torch::kCPU).contiguous(); }

Napi::Value ToTypedArray(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    torch::Tensor t = CpuContiguous(ArgTensor(info, 0));
    Napi::Env env = info.Env();
    napi_typedarray_type kind;
    switch (t.scalar_type()) {
      case torch::kFloat64: kind = napi_float64_array; break;
      case torch::kInt64: kind = napi_bigint64_array; break;
      case torch::kInt32: kind = napi_int32_array; break;
      case torch::kUInt8:
      case torch::kBool: kind = napi_uint8_array; break;
      default: t = t.to(torch::kFloat32); kind = napi_float32_array; break;  // float32, half, bfloat16
    }
    size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
    if (bytes > 0) std::memcpy(buf.Data(), t.data_ptr(), bytes);
    size_t n = static_cast<size_t>(t.numel());
    switch (kind) {
      case napi_float64_array: return Napi::Float64Array::New(env, n, buf, 0);
      case napi_bigint64_array: return Napi::BigInt64Array::New(env, n, buf, 0);
      case napi_int32_array: return Napi::Int32Array::New(env, n, buf, 0);
      case napi_uint8_array: return Napi::Uint8Array::New(env, n, buf, 0);
      default: return Napi::Float32Array::New(env, n, buf, 0);
    }
  });
}

Napi::Value ToRawBytes(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    torch::Tensor t = CpuContiguous(ArgTensor(info, 0));
    size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(info.Env(), bytes);
    if (bytes > 0) std::memcpy(buf.Data(), t.data_ptr(), bytes);
    return buf;
  });
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    torch::Tensor& t = ArgTensor(info, 0);
    if (t.numel() != 1) throw Napi::Error::New(info.Env(), "item(): tensor has " + std::to_string(t.numel()) + " elements, expected 1");
    if (t.scalar_type() == torch::kBool) return Napi::Boolean::New(info.Env(), t.item<bool>());
    return Napi::Number::New(info.Env(), t.item<double>());
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    torch::Tensor& t = ArgTensor(info, 0);
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    Napi::Array shape = Napi::Array::New(env, t.dim());
    for (int64_t d = 0; d < t.dim(); d++) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(t.size(d))));
    out.Set("shape", shape);
    out.Set("dtype", DtypeName(t.scalar_type()));
    out.Set("device", t.device().str());
    return out;
  });
}

// Moves a tensor to another device in place, as PyTorch's Module.to() does (param.data = ...):
// the same tensor object (and so every JS handle and optimizer reference to it) now lives on
// `device`, keeping requires_grad; its gradient, if any, moves with it.
Napi::Value MoveTo(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    torch::Tensor& t = ArgTensor(info, 0);
    torch::Device device = ParseDevice(info.Env(), ArgString(info, 1));
    torch::NoGradGuard noGrad;
    if (t.device() != device) t.set_data(t.detach().to(device));
    const torch::Tensor& grad = t.grad();
    if (grad.defined() && grad.device() != device) t.mutable_grad() = grad.to(device);
    return info.Env().Undefined();
  });
}

// Like torch.nn.utils.clip_grad_norm_ but the norm never leaves the device: the scale
// min(1, maxNorm / (norm + 1e-6)) is a tensor, so a CUDA step does not wait for the GPU here.
// On the CPU libtorch's own (exact, reads the norm) is used: there is nothing to wait for.
void ClipGradNormOnDevice(std::vector<torch::Tensor> params, double maxNorm) {
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return;
  if (grads[0].device().is_cpu()) {
    torch::nn::utils::clip_grad_norm_(params, maxNorm, 2.0);
    return;
  }
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> norms;
  norms.reserve(grads.size());
  for (const torch::Tensor& g : grads) norms.push_back(at::norm(g, 2));
  torch::Tensor total = at::norm(torch::stack(norms), 2);
  torch::Tensor scale = (maxNorm / (total + 1e-6)).clamp_max(1.0);
  for (torch::Tensor& g : grads) g.mul_(scale);
}

}  // namespace

torch::Device ParseDevice(Napi::Env env, const std::string& name) {
  try {
    return torch::Device(name);
  } catch (const c10::Error&) {
    throw Napi::TypeError::New(env, "unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
  }
}

namespace {

}  // namespace

// ---------------------------------------------------------------------------
// Registration

#define FN(name, ...)                                                                                  \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {       \
                return Guard(info, [&]() -> Napi::Value { __VA_ARGS__ });                                     \
              }))

void RegisterTensorFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("TensorHandle", TensorHandle::Init(env));
  exports.Set("fromTypedArray", Napi::Function::New(env, FromTypedArray));
  exports.Set("fromBytes", Napi::Function::New(env, FromRawBytes));
  exports.Set("toTypedArray", Napi::Function::New(env, ToTypedArray));
  exports.Set("toBytes", Napi::Function::New(env, ToRawBytes));
  exports.Set("item", Napi::Function::New(env, Item));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("moveTo_", Napi::Function::New(env, MoveTo));
  FN("device", return Napi::String::New(info.Env(), ArgTensor(info, 0).device().str()););

  FN("zeros", return Wrap(info, torch::zeros(ArgIntList(info, 0), Options(info, 1))););
  FN("ones", return Wrap(info, torch::ones(ArgIntList(info, 0), Options(info, 1))););
  FN("full", return Wrap(info, torch::full(ArgIntList(info, 0), ArgDouble(info, 1), Options(info, 2))););
  FN("randn", return Wrap(info, torch::randn(ArgIntList(info, 0), Options(info, 1))););
  FN("rand", return Wrap(info, torch::rand(ArgIntList(info, 0), Options(info, 1))););
  FN("randint", return Wrap(info, torch::randint(ArgInt(info, 0), ArgInt(info, 1), ArgIntList(info, 2),
                                                 torch::TensorOptions().dtype(torch::kInt64).device(OptDevice(info, 3)))););
  FN("randperm", return Wrap(info, torch::randperm(ArgInt(info, 0),
                                                   torch::TensorOptions().dtype(torch::kInt64).device(OptDevice(info, 1)))););
  FN("arange", return Wrap(info, torch::arange(ArgDouble(info, 0), ArgDouble(info, 1), ArgDouble(info, 2),
                                               Options(info, 3))););

  // Autograd
  FN("requiresGrad", return Napi::Boolean::New(info.Env(), ArgTensor(info, 0).requires_grad()););
  FN("setRequiresGrad", ArgTensor(info, 0).requires_grad_(ArgBool(info, 1)); return info.Env().Undefined(););
  FN("grad", {
    const torch::Tensor& g = ArgTensor(info, 0).grad();
    if (!g.defined()) return info.Env().Undefined();
    return Wrap(info, g);
  });
  FN("backward", {
    c10::optional<torch::Tensor> grad = ArgOptTensor(info, 1);
    bool retain = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
    ArgTensor(info, 0).backward(grad.has_value() ? *grad : torch::Tensor(), retain);
    return info.Env().Undefined();
  });
  FN("zeroGrad", {
    // Like PyTorch's zero_grad(set_to_none=True): drop the gradient tensors.
    for (torch::Tensor& t : ArgTensorList(info, 0)) t.mutable_grad().reset();
    return info.Env().Undefined();
  });
  FN("clipGradNorm", return Napi::Number::New(info.Env(), torch::nn::utils::clip_grad_norm_(
                                                              ArgTensorList(info, 0), ArgDouble(info, 1), 2.0)););
  FN("clipGradNormOnDevice", ClipGradNormOnDevice(ArgTensorList(info, 0), ArgDouble(info, 1)); return info.Env().Undefined(););
  FN("setGradEnabled", {
    bool previous = torch::GradMode::is_enabled();
    torch::GradMode::set_enabled(ArgBool(info, 0));
    return Napi::Boolean::New(info.Env(), previous);
  });
  FN("isGradEnabled", return Napi::Boolean::New(info.Env(), torch::GradMode::is_enabled()););

  // Engine settings
  FN("manualSeed", {
    // torch::manual_seed seeds the CPU generator and, when CUDA is there, every GPU's;
    // manual_seed_all says so explicitly (a no-op without CUDA).
    const uint64_t seed = static_cast<uint64_t>(ArgInt(info, 0));
    torch::manual_seed(seed);
    torch::cuda::manual_seed_all(seed);
    return info.Env().Undefined();
  });
  FN("setNumThreads", torch::set_num_threads(static_cast<int>(ArgInt(info, 0))); return info.Env().Undefined(););
  FN("getNumThreads", return Napi::Number::New(info.Env(), torch::get_num_threads()););
  FN("externalBytes", return Napi::Number::New(info.Env(), static_cast<double>(g_reported.load())););
  FN("liveTensors", return Napi::Number::New(info.Env(), static_cast<double>(TensorHandle::LiveCount())););
  FN("cudaIsAvailable", return Napi::Boolean::New(info.Env(), torch::cuda::is_available()););
  FN("cudaDeviceCount", return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())););
  FN("cudaSynchronize", {
    // Waits for the GPU's queued work (timings); nothing to wait for without CUDA.
    if (torch::cuda::is_available()) torch::cuda::synchronize();
    return info.Env().Undefined();
  });
  FN("torchVersion", return Napi::String::New(info.Env(), TORCH_VERSION););
}

}  // namespace deepcut
