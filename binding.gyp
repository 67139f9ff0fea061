{
  "targets": [
    {
      "target_name": "gdt_native",
      "sources": ["native/addon.cc", "native/convert.cc", "native/distributed.cc"],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node native/find-libtorch.mjs --include-dirs)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "<!@(node native/find-libtorch.mjs --defines)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "ldflags": ["<!@(node native/find-libtorch.mjs --ldflags)"],
      "libraries": ["<!@(node native/find-libtorch.mjs --libs)"]
    }
  ]
}
