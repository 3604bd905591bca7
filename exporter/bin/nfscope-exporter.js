#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=4
'use strict';
// nfscope-exporter: `nfscope exporter` under its older name (the same entry,
// the same flags), kept for deploy manifests and scripts that start it so.
// The first line gives node the heap settings of src/v8-flags.ts (START_FLAGS) and glibc its
// arena limit (START_ENV): both are taken only at start. Started as `node nfscope-exporter.js`,
// give them on that command line (or in NODE_OPTIONS) and in the environment, as the
// Dockerfile does.
require('../dist/main.js')
  .exporterMain(process.argv.slice(2), 'nfscope-exporter')
  .catch((e) => {
    process.stderr.write(`nfscope-exporter: ${e.stack || e.message}\n`);
    process.exit(1);
  });
