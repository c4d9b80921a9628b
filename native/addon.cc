// Module entry point. Kept free of torch headers so it compiles quickly.
#include <napi.h>

namespace deepcut {
void RegisterTensorFunctions(Napi::Env env, Napi::Object exports);
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptimizers(Napi::Env env, Napi::Object exports);
}  // namespace deepcut

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  deepcut::RegisterTensorFunctions(env, exports);
  deepcut::RegisterOps(env, exports);
  deepcut::RegisterOptimizers(env, exports);
  return exports;
}

NODE_API_MODULE(deepcut_native, Init)
