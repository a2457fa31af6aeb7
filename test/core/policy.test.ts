import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { defaultPolicy, editVsDeleteOutcome, parsePolicy, ruleFor } from '../../src/core/policy.ts';

test('an absent policy is the default: latest write, edit wins', () => {
  assert.deepEqual(parsePolicy(undefined), defaultPolicy);
  assert.equal(ruleFor(defaultPolicy, 'summary'), 'latest');
  assert.equal(editVsDeleteOutcome(defaultPolicy, 'remote'), 'edit');
});

test('the schema column default is the default policy', () => {
  assert.deepEqual(parsePolicy({ default: 'latest' }), { ...defaultPolicy, fields: {} });
  assert.equal(parsePolicy({ default: 'ask' }).mode, 'manual');
});

test('modes set the rule of every field; field rules override it', () => {
  const manual = parsePolicy('manual');
  assert.equal(ruleFor(manual, 'time'), 'ask');
  assert.equal(ruleFor(parsePolicy({ mode: 'calendar-wins' }), 'summary'), 'calendar');
  assert.equal(ruleFor(parsePolicy({ mode: 'remote-wins' }), 'summary'), 'remote');
  const ask = parsePolicy({ fields: { description: 'ask' } });
  assert.equal(ruleFor(ask, 'description'), 'ask');
  assert.equal(ruleFor(ask, 'summary'), 'latest');
});

test('edit against delete follows the configured rule or the authority', () => {
  assert.equal(editVsDeleteOutcome(parsePolicy({ editVsDelete: 'delete-wins' }), 'calendar'), 'delete');
  assert.equal(editVsDeleteOutcome(parsePolicy('manual'), 'calendar'), 'ask');
  const calendarWins = parsePolicy('calendar-wins');
  assert.equal(editVsDeleteOutcome(calendarWins, 'calendar'), 'edit');
  assert.equal(editVsDeleteOutcome(calendarWins, 'remote'), 'delete');
  assert.equal(editVsDeleteOutcome(parsePolicy('remote-wins'), 'remote'), 'edit');
});

test('bad policies are INVALID_POLICY naming the member', () => {
  const cases: [unknown, string][] = [
    [42, 'policy'],
    [{ mode: 'newest' }, 'policy.mode'],
    [{ fields: { title: 'ask' } }, 'policy.fields.title'],
    [{ fields: { summary: 'coin-flip' } }, 'policy.fields.summary'],
    [{ fields: [] }, 'policy.fields'],
    [{ editVsDelete: 'restore' }, 'policy.editVsDelete'],
    [{ mode: 'default', extra: true }, 'policy.extra'],
    [{ default: 'newest' }, 'policy.default'],
  ];
  for (const [input, path] of cases) {
    assert.throws(() => parsePolicy(input), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_POLICY' && e.path === path, JSON.stringify(input));
  }
});
