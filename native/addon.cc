// Module entry point. Kept free of torch headers so it compiles quickly.
#include <malloc.h>
#include <napi.h>

#include <cstdlib>
#include <cstring>

namespace deepcut {
void RegisterTensorFunctions(Napi::Env env, Napi::Object exports);
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterOptimizers(Napi::Env env, Napi::Object exports);
}  // namespace deepcut

// Training frees a step's activations in bulk when its scope ends; glibc then
// hands the top of the heap back to the OS and the next step page-faults it in
// again (measured: forward 10-25% slower than PyTorch's, which frees tensor by
// tensor). Keeping freed memory for reuse and serving mid-size tensors from the
// heap removes that. DEEPCUT_MALLOC_TUNING=0 leaves glibc's defaults alone.
static void TuneMalloc() {
  const char* flag = std::getenv("DEEPCUT_MALLOC_TUNING");
  if (flag && std::strcmp(flag, "0") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);   // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TuneMalloc();
  deepcut::RegisterTensorFunctions(env, exports);
  deepcut::RegisterOps(env, exports);
  deepcut::RegisterOptimizers(env, exports);
  return exports;
}

NODE_API_MODULE(deepcut_native, Init)
