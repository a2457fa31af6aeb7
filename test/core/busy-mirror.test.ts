// The block a busy mirror rule makes of a source series, without a database: derived ids,
// the title template, and what leaves a block out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockTitle, isMirrorBlockUid, mirrorBlock, mirrorBlockId, mirrorBlockUid, type MirrorRule } from '../../src/core/busy-mirror.ts';
import { isBusyCopyUid } from '../../src/core/projection.ts';
import { validateSeries } from '../../src/core/validate.ts';
import { instance, single, weekly } from '../helpers/events.ts';

const rule: MirrorRule = { id: '6c4b0a8e-1f2d-4c3b-9a7e-5d6f7a8b9c0d', title: 'Busy', includeLocation: false, includeDescription: false, includeAttendees: false, markTentative: true, ownerEmail: 'me@example.org' };
const source = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

test('a block\'s id is a UUID derived from its rule and source alone, and its UID says it is a mirror', () => {
  const id = mirrorBlockId(rule.id, source);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(mirrorBlockId(rule.id.toUpperCase(), source), id, 'the same whatever the case of the ids');
  assert.notEqual(mirrorBlockId(rule.id, '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f1'), id);
  assert.notEqual(mirrorBlockId(source, rule.id), id, 'rule and source are not interchangeable (A→B and B→A differ)');
  const uid = mirrorBlockUid(rule.id, source);
  assert.ok(isMirrorBlockUid(uid) && isMirrorBlockUid(` ${uid}`));
  assert.ok(!isMirrorBlockUid('dentist@example.org') && !isBusyCopyUid(uid));
});

test('the title template brings in only the source\'s title, and an empty result is "Busy"', () => {
  assert.equal(blockTitle('Busy', 'Dentist'), 'Busy');
  assert.equal(blockTitle('Private: {summary}', 'Dentist'), 'Private: Dentist');
  assert.equal(blockTitle('{summary} / {summary}', 'A'), 'A / A');
  assert.equal(blockTitle('{summary}', '  '), 'Busy');
});

test('a block is a valid series; a free master or a series known only by overrides makes none', () => {
  const block = mirrorBlock(weekly({ uid: 'y' }, [instance('2026-03-09', { uid: 'y', status: 'tentative' })]), source, rule)!;
  assert.deepEqual(validateSeries(block), block);
  assert.equal(block.overrides[0]!.status, 'tentative');
  assert.equal(mirrorBlock(weekly({ uid: 'y' }, [instance('2026-03-09', { uid: 'y', status: 'tentative' })]), source, { ...rule, markTentative: false })!.overrides[0]!.status, 'confirmed');
  assert.equal(mirrorBlock(single({ transparency: 'transparent' }), source, rule), null);
  assert.equal(mirrorBlock({ uid: 'y', master: null, overrides: [instance('2026-03-09', { uid: 'y' })] }, source, rule), null);
  assert.equal(mirrorBlock(single({ attendees: [{ email: 'me@example.org', name: null, role: 'required', response: 'declined', respondedAt: null }] }), source, rule), null);
  assert.notEqual(mirrorBlock(single({ attendees: [{ email: 'me@example.org', name: null, role: 'required', response: 'declined', respondedAt: null }] }), source, { ...rule, ownerEmail: null }), null, 'without an owner, nobody\'s answer counts');
});
