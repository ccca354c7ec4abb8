#!/usr/bin/env node
'use strict';
// Entry point of `npx cdk-serverless-etl`: the compiled CLI when present, else the TypeScript
// source through tsx (a development checkout).
const fs = require('node:fs');
const path = require('node:path');

let cli;
if (fs.existsSync(path.join(__dirname, 'main.js'))) {
  cli = require('./main.js');
} else {
  require('tsx/cjs');
  cli = require('./main.ts');
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
