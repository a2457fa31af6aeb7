// .ci/run with stand-ins for the tools it calls (node, npm, apt-get, pg_isready…): each
// records its calls, so nothing is installed and the suite does not run again from here.
// The suite runs on Node.js 24, then 22, installed from the npm registry's `node` package
// into CALSYNC_CI_NODE_DIR; where that install fails, the run ends in one line saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const script = path.resolve(import.meta.dirname, '../.ci/run');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-ci-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const present = { pgrep: {}, radicale: {}, xandikos: {}, chromium: {} };

/** A stand-in that records `name args` (and, for npm, which node is first on PATH and DATABASE_URL), prints `output` and exits `code`. */
function standIn(file: string, name: string, log: string, { output = '', code = 0 }: { output?: string; code?: number }): void {
  const context = name === 'npm' ? ' [node $(node --version) db=${DATABASE_URL:-}]' : '';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\necho "${name} $*${context}" >> '${log}'\n${output ? `echo '${output}'\n` : ''}exit ${code}\n`, { mode: 0o755 });
}

/**
 * Runs .ci/run with stand-ins for the named commands on PATH, and with the Node.js lines
 * in `installed` already in the node folder (their `node --version` prints v<major>.0.0).
 */
function runCi(tools: Record<string, { output?: string; code?: number }>, installed: number[]) {
  const bin = fs.mkdtempSync(path.join(scratch, 'bin-'));
  const nodeDir = fs.mkdtempSync(path.join(scratch, 'node-'));
  const log = path.join(bin, 'calls');
  fs.writeFileSync(log, '');
  for (const [name, behaviour] of Object.entries(tools)) standIn(path.join(bin, name), name, log, behaviour);
  for (const major of installed) standIn(path.join(nodeDir, `node-${major}`, 'node_modules/node/bin/node'), `node${major}`, log, { output: `v${major}.0.0` });
  // Not the DATABASE_URL this suite may run with: .ci/run sets it for its second run alone.
  const { DATABASE_URL: _, ...env } = process.env;
  const r = spawnSync('bash', [script], { env: { ...env, PATH: `${bin}:${process.env.PATH}`, CALSYNC_CI_NODE_DIR: nodeDir }, encoding: 'utf8', timeout: 30_000 });
  const calls = fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, nodeDir };
}

test('the suite runs on Node.js 24 with the embedded Postgres, then on 22 against the machine\'s Postgres', () => {
  const r = runCi({ node: { output: 'v18.20.4' }, npm: {}, 'apt-get': { code: 97 }, pg_isready: {}, ...present }, [24, 22]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(r.calls.filter((c) => c.startsWith('npm')), [
    'npm install --no-audit --no-fund [node v24.0.0 db=]',
    'npm test [node v24.0.0 db=]',
    'npm test [node v22.0.0 db=postgres://postgres@127.0.0.1:5432/test]',
  ]);
  assert.match(r.stdout, /^ci: Node\.js v24\.0\.0 and v22\.0\.0$/m);
  assert.ok(!r.calls.some((c) => c.startsWith('apt-get')), 'a machine with Debian 12\'s node 18 needs nothing from apt for Node.js');
});

test('Node.js lines not yet in the node folder are installed there from the npm registry\'s node package', () => {
  const r = runCi({ node: { output: 'v20.11.0' }, npm: {}, 'apt-get': { code: 97 }, pg_isready: {}, ...present }, [22]);
  // The npm stand-in installs nothing, so Node.js 24 is still missing after its install: the run ends there.
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.deepEqual(r.calls.filter((c) => c.startsWith('npm')), [
    `npm install --prefix ${r.nodeDir}/node-24 --no-save --no-audit --no-fund --loglevel=error node@24 [node v20.11.0 db=]`,
  ]);
  assert.equal(r.stderr, 'ci: could not install Node.js 24 with npm install node@24 (the npm registry\'s node package, which the suite runs on)\n');
  assert.ok(!r.calls.some((c) => c.startsWith('npm test')), 'the suite did not run');
});

test('without a Postgres on 127.0.0.1:5432, the second run is on the embedded Postgres, with one line saying why', () => {
  const r = runCi({ node: { output: 'v20.11.0' }, npm: {}, 'apt-get': { code: 97 }, pg_isready: { code: 2 }, ...present }, [24, 22]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(r.calls.filter((c) => c.startsWith('npm test')), ['npm test [node v24.0.0 db=]', 'npm test [node v22.0.0 db=]']);
  assert.match(r.stdout, /^--- Node\.js 22, embedded Postgres \(no Postgres answers on 127\.0\.0\.1:5432 for a DATABASE_URL run\)$/m);
});
