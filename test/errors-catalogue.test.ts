import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { errorCatalogue } from '../src/errors.ts';

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

test('docs/errors.md documents every error code with its HTTP status, and no others', () => {
  assert.deepEqual([...documented.keys()].sort(), Object.keys(errorCatalogue).sort());
  for (const [code, { status }] of Object.entries(errorCatalogue)) assert.equal(documented.get(code), status, code);
});

test('every fix is a sentence a person can act on', () => {
  for (const [code, { hint }] of Object.entries(errorCatalogue)) assert.match(hint, /^([A-Z]|calsync ).{20,}\.$/, code);
});
