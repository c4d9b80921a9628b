{
  "targets": [
    {
      "target_name": "deepcut_native",
      "sources": ["native/addon.cc", "native/tensor_handle.cc", "native/ops.cc", "native/optim.cc", "native/cpu_allocator.cc", "native/distributed.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/torch-paths.js --include)"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "<!@(node scripts/torch-paths.js --defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<!(node scripts/torch-paths.js --cxx-std)", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter"],
      "libraries": ["<!@(node scripts/torch-paths.js --libs)"]
    }
  ]
}
