// Module entry point. Kept free of torch headers so it compiles quickly.
#include <napi.h>

#include <cstdlib>
#include <cstring>

namespace deepcut {
void RegisterTensorFunctions(Napi::Env env, Napi::Object exports);
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptimizers(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);
bool InstallCachingCpuAllocator();
}  // namespace deepcut

// Memory: libtorch's tensors come from our caching allocator (cpu_allocator.cc explains why).
// DEEPCUT_CPU_CACHE_MB=0 leaves libtorch's allocator and glibc's defaults alone.
static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  deepcut::InstallCachingCpuAllocator();
  deepcut::RegisterTensorFunctions(env, exports);
  deepcut::RegisterOps(env, exports);
  deepcut::RegisterOptimizers(env, exports);
  deepcut::RegisterDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(deepcut_native, Init)
