#!/usr/bin/env node
// Runs the JavaScript that `npm install` compiles into dist/ while it is newer than
// every source file, else the TypeScript sources through tsx: the command always runs
// what is checked out, and a build only makes it start faster (about 0.2 s and 35 MB
// less than compiling on the fly).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newerThan(dir, since) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() ? newerThan(full, since) : fs.statSync(full).mtimeMs > since) return true;
  }
  return false;
}

function builtIsCurrent() {
  try {
    // scripts/build.ts touches the stamp before compiling, so an edit made during a build counts as newer.
    const built = fs.statSync(path.join(root, 'dist', '.build-stamp')).mtimeMs;
    return !newerThan(path.join(root, 'src'), built) && !newerThan(path.join(root, 'sql'), built);
  } catch {
    return false;
  }
}

// fetch parses HTTP with WebAssembly (llhttp), which V8 recompiles with its optimising
// tier in the background once it is warm, and a process waits for that compile before
// it exits: about 0.1 s at the end of a one-shot command such as `calsync sync` on a
// 2-core machine. A command that ends soon keeps the baseline tier; servers keep both.
const servers = new Set(['serve', 'api', 'worker', 'sandbox']);
if (!servers.has(process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? '')) v8.setFlagsFromString('--liftoff-only');

if (builtIsCurrent()) {
  // The bundle when the build made one (scripts/build.ts), else tsc's output.
  const bundled = path.join(root, 'dist', 'bundle', 'cli.js');
  await import(fs.existsSync(bundled) ? '../dist/bundle/cli.js' : '../dist/main/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main/cli.ts');
}
