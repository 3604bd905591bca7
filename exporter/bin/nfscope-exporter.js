#!/usr/bin/env node
'use strict';
// First, while the heap is still small: V8 settings sized for a long-running exporter (src/v8-flags.ts).
require('../dist/v8-flags.js').applyV8Flags();
require('../dist/main.js')
  .main(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`nfscope-exporter: ${e.stack || e.message}\n`);
    process.exit(1);
  });
