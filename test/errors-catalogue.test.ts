import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { errorCatalogue } from '../src/errors.ts';

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');
const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| .+? \| (.+) \|$/gm)];
const documented = new Map(rows.map((m) => [m[1]!, Number(m[2])]));
const documentedFix = new Map(rows.map((m) => [m[1]!, m[3]!]));
const entries = Object.entries(errorCatalogue).map(([code, entry]) => ({ code, ...(entry as { status: number; hint: string; cliHint?: string }) }));

test('docs/errors.md documents every error code with its HTTP status, and no others', () => {
  assert.deepEqual([...documented.keys()].sort(), Object.keys(errorCatalogue).sort());
  for (const { code, status } of entries) assert.equal(documented.get(code), status, code);
});

test('docs/errors.md gives each code the fix calsync prints, on both edges where they differ', () => {
  for (const { code, hint, cliHint } of entries) {
    assert.equal(documentedFix.get(code), cliHint ? `HTTP: ${hint} Command line: ${cliHint}` : hint, code);
  }
});

test('every fix is a sentence a person can act on', () => {
  for (const { code, hint, cliHint } of entries) {
    for (const fix of [hint, cliHint ?? hint]) assert.match(fix, /^([A-Z]|calsync ).{20,}\.$/, code);
  }
});
