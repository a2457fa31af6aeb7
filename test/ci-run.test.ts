// .ci/run on machines it cannot fully use: each says so in one line. The tools it calls
// (node, npm, apt-get, pg_isready…) are stand-ins on PATH that record their calls, so
// nothing is installed and the suite does not run again from here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const script = path.resolve(import.meta.dirname, '../.ci/run');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-ci-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs .ci/run with stand-ins for the named commands: each prints `output` and exits `code`. */
function runCi(tools: Record<string, { output?: string; code?: number }>): { status: number | null; stdout: string; stderr: string; calls: string[] } {
  const bin = fs.mkdtempSync(path.join(scratch, 'bin-'));
  const log = path.join(bin, 'calls');
  fs.writeFileSync(log, '');
  for (const [name, { output = '', code = 0 }] of Object.entries(tools)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${output ? `echo '${output}'\n` : ''}exit ${code}\n`, { mode: 0o755 });
  }
  const r = spawnSync('bash', [script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

const refuse = { code: 97 }; // must not be reached

test('a node older than 20.11, as Debian 12 ships, ends the run in one line', () => {
  const r = runCi({ node: { output: 'v18.20.4' }, npm: refuse, 'apt-get': refuse });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ci: calsync needs Node\.js 20\.11 or later and this machine has v18\.20\.4 .+\n$/);
  assert.deepEqual(r.calls, ['node --version']);
});

test('without a Postgres on 127.0.0.1:5432, the DATABASE_URL run is skipped with one line saying why', () => {
  const present = { pgrep: {}, radicale: {}, xandikos: {}, chromium: {} };
  const r = runCi({ node: { output: 'v20.11.0' }, npm: {}, 'apt-get': refuse, pg_isready: { code: 2 }, ...present });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(r.calls.filter((c) => c.startsWith('npm')), ['npm install --no-audit --no-fund', 'npm test'], 'the suite ran once');
  assert.match(r.stdout, /^--- skipping the DATABASE_URL run: no Postgres answers on 127\.0\.0\.1:5432, so the suite ran on the embedded Postgres only$/m);
});
