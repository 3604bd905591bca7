#!/usr/bin/env -S node --max-semi-space-size=4
'use strict';
// The first line gives node the heap settings of src/v8-flags.ts (START_FLAGS): V8 takes
// them only at start. Started as `node nfscope-exporter.js`, give them on that command line
// (the Dockerfile does) or in NODE_OPTIONS.
require('../dist/main.js')
  .main(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`nfscope-exporter: ${e.stack || e.message}\n`);
    process.exit(1);
  });
