#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=4
'use strict';
// `nfscope <command>`. The first line gives node the exporter's start settings
// (exporter/src/v8-flags.ts: a 4 MiB semi-space, one glibc malloc arena), which
// are read only when the process starts, so that `nfscope exporter` starts as
// `nfscope-exporter` does; top and testbed run the same with them.
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`nfscope: ${e.stack || e.message}\n`);
    process.exit(1);
  });
