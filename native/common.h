// Shared pieces of the libtorch binding: the tensor handle class, argument
// readers and the error guard that turns libtorch exceptions into JS Errors.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace deepcut {

// A JS object owning one reference to a torch::Tensor. dispose() releases it
// deterministically; the GC finalizer is the safety net for handles nobody
// disposes. Those (and only those) have their bytes reported to V8 via
// reportToGc(), so the collector knows how much memory waits on it: reporting
// scope-owned tensors too made V8 run a full GC every ~50 ms of training.
class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, torch::Tensor tensor);
  static bool IsHandle(const Napi::Value& value);
  static int64_t LiveCount();

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;

  torch::Tensor& tensor(Napi::Env env);
  bool disposed() const { return disposed_; }
  void Release(Napi::Env env);

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value ReportToGc(const Napi::CallbackInfo& info);

  torch::Tensor tensor_;
  int64_t reportedBytes_ = 0;
  bool disposed_ = true;
  napi_env env_ = nullptr;
};

// Runs `body`, converting C++ exceptions (c10::Error above all) into JS
// Errors: an exception escaping a binding would abort the whole process.
template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// Argument readers: each names the argument position in its error.
torch::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i);
c10::optional<torch::Tensor> ArgOptTensor(const Napi::CallbackInfo& info, size_t i);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i);
double ArgDouble(const Napi::CallbackInfo& info, size_t i);
bool ArgBool(const Napi::CallbackInfo& info, size_t i);
std::string ArgString(const Napi::CallbackInfo& info, size_t i);
std::vector<int64_t> ArgIntList(const Napi::CallbackInfo& info, size_t i);
std::vector<torch::Tensor> ArgTensorList(const Napi::CallbackInfo& info, size_t i);
torch::ScalarType ParseDtype(Napi::Env env, const std::string& name);
// "cpu", "cuda", "cuda:1", ...; anything else is a TypeError naming the accepted forms.
torch::Device ParseDevice(Napi::Env env, const std::string& name);
std::string DtypeName(torch::ScalarType type);

inline Napi::Object Wrap(const Napi::CallbackInfo& info, torch::Tensor t) {
  return TensorHandle::Wrap(info.Env(), std::move(t));
}

void RegisterTensorFunctions(Napi::Env env, Napi::Object exports);
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptimizers(Napi::Env env, Napi::Object exports);

}  // namespace deepcut
