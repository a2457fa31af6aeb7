import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextPollSeconds } from '../../src/engine/polling.ts';

const mid = 0.5; // no jitter

test('after changes a binding is polled sooner, never below 30 s', () => {
  assert.equal(nextPollSeconds({ baseSeconds: 300, previousSeconds: 1200, changed: true, random: mid }), 75);
  assert.equal(nextPollSeconds({ baseSeconds: 60, previousSeconds: null, changed: true, random: mid }), 30);
});

test('while idle the delay doubles up to four times the interval', () => {
  const delays: number[] = [];
  let previous: number | null = 75;
  for (let i = 0; i < 6; i++) {
    previous = nextPollSeconds({ baseSeconds: 300, previousSeconds: previous, changed: false, random: mid });
    delays.push(previous);
  }
  assert.deepEqual(delays, [300, 600, 1200, 1200, 1200, 1200]);
});

test('jitter stays within ±10%', () => {
  assert.equal(nextPollSeconds({ baseSeconds: 300, previousSeconds: 300, changed: false, random: 0 }), 540);
  assert.equal(nextPollSeconds({ baseSeconds: 300, previousSeconds: 300, changed: false, random: 0.999999 }), 660);
});

test('a binding with a healthy push channel is polled six times less often', () => {
  const mid = 0.5;
  assert.equal(nextPollSeconds({ baseSeconds: 300, previousSeconds: null, changed: false, random: mid, pushHealthy: true }), 1800);
  assert.equal(nextPollSeconds({ baseSeconds: 300, previousSeconds: null, changed: false, random: mid, pushHealthy: false }), 300);
  assert.equal(nextPollSeconds({ baseSeconds: 300, previousSeconds: 7200, changed: false, random: mid, pushHealthy: true }), 7200, 'idle: at most four times that');
});
