#!/usr/bin/env node
'use strict';
require('../dist/main.js')
  .main(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`nfscope-exporter: ${e.stack || e.message}\n`);
    process.exit(1);
  });
