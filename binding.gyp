{
  "variables": {
    "with_bpf%": "<!(bash native/bpf/build-bpf.sh detect)"
  },
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "native"
    ],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_CPP_EXCEPTIONS",
      "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
      "NODE_ADDON_API_DISABLE_DEPRECATED"
    ],
    "cflags!": [
      "-fno-exceptions"
    ],
    "cflags_cc!": [
      "-fno-exceptions",
      "-std=gnu++17"
    ],
    "cflags_cc": [
      "-std=c++20",
      "-fexceptions",
      "-O2",
      "-Wall",
      "-Wextra",
      "-Wno-unused-parameter",
      "-Wno-missing-field-initializers"
    ]
  },
  "targets": [
    {
      "target_name": "driftguard",
      "sources": [
        "native/addon.cc"
      ],
      "dependencies": [
        "driftguard_core"
      ]
    },
    {
      "target_name": "driftguard_core",
      "type": "static_library",
      "sources": [
        "native/fs/FsFunctions.cc",
        "native/fs/CapabilityProbes.cc",
        "native/fs/FileLock.cc",
        "native/fs/DirStreamWrap.cc",
        "native/fs/ReadBeneath.cc",
        "native/fs/BoundedRead.cc",
        "native/writer/WriterTable.cc",
        "native/writer/CreateWatch.cc",
        "native/writer/WriteTracker.cc",
        "native/writer/WriteTrackerWrap.cc",
        "native/guard/ExecGuardWrap.cc",
        "native/guard/ExecGuard.cc",
        "native/guard/ExecGuardDecide.cc",
        "native/guard/ExecGuardVerdict.cc",
        "native/guard/ExecGuardHash.cc",
        "native/guard/ExecCommitWatch.cc",
        "native/guard/CallerProgram.cc",
        "native/guard/ExecGuardWatchdog.cc",
        "native/guard/ExecGuardIgnore.cc",
        "native/guard/RuntimeStarts.cc",
        "native/guard/ProcessOwners.cc",
        "native/guard/JsConvert.cc",
        "native/fanotify/FanotifySource.cc",
        "native/fanotify/EventFacts.cc",
        "native/fanotify/IgnoreMarks.cc",
        "native/decide/Decide.cc",
        "native/decide/Tables.cc",
        "native/decide/TablesBuilder.cc",
        "native/decide/HashCache.cc",
        "native/pending/PendingDecisions.cc",
        "native/napi/JsArgs.cc",
        "native/util/Sha256.cc",
        "native/util/ProcInfo.cc",
        "native/util/BoundedProcRead.cc",
        "native/util/FileOps.cc",
        "native/util/FileLease.cc",
        "native/util/OpenBeneath.cc",
        "native/bpf/BpfSensorWrap.cc",
        "native/bpf/SensorJsConvert.cc",
        "native/bpf/SensorTypes.cc"
      ],
      "cflags": [
        "-fPIC"
      ],
      "conditions": [
        [
          "with_bpf==1",
          {
            "sources": [
              "native/bpf/BpfSensor.cc",
              "native/bpf/BpfSensorLoad.cc",
              "native/bpf/ProgramProbe.cc",
              "native/bpf/RingReader.cc",
              "native/bpf/SensorMaps.cc"
            ],
            "include_dirs": [
              "<(module_root_dir)/build/bpf"
            ],
            "link_settings": {
              "libraries": [
                "-lbpf",
                "-lelf",
                "-lz"
              ]
            },
            "actions": [
              {
                "action_name": "bpf_sensor_skeleton",
                "inputs": [
                  "native/bpf/build-bpf.sh",
                  "native/bpf/progs/sensor.bpf.c",
                  "native/bpf/progs/file_facts.bpf.h",
                  "native/bpf/progs/sensor_abi.h",
                  "native/bpf/progs/maps.bpf.h"
                ],
                "outputs": [
                  "<(module_root_dir)/build/bpf/sensor.skel.h"
                ],
                "action": [
                  "bash",
                  "native/bpf/build-bpf.sh",
                  "build",
                  "<(module_root_dir)/build/bpf"
                ]
              }
            ]
          },
          {
            "sources": [
              "native/bpf/BpfSensorUnavailable.cc"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "driftguard_test",
      "sources": [
        "native/addon.cc",
        "native/testing/Judge.cc",
        "native/testing/Vocabulary.cc",
        "native/testing/BeneathMode.cc",
        "native/testing/ProcessCgroup.cc"
      ],
      "defines": [
        "DRIFTGUARD_TEST_EXPORTS"
      ],
      "dependencies": [
        "driftguard_core"
      ]
    }
  ]
}
