import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passesUntilQuiet } from '../../src/cli/until-quiet.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a binding passes again while another is still pulling, and all stop once quiet', async () => {
  let version = 0;
  let pushedUpTo = 0;
  const log: string[] = [];
  let pullRunning = false;
  const passes = {
    version: async () => version,
    async run(id: string) {
      if (id === 'pull') {
        if (version >= 3) return { wrote: false };
        pullRunning = true;
        // Three slices reach the calendar one after another within one pass.
        for (let slice = 0; slice < 3; slice++) {
          await tick(30);
          version++;
        }
        pullRunning = false;
        return { wrote: true };
      }
      const target = version;
      const wrote = target > pushedUpTo;
      log.push(`push ${pushedUpTo}->${target}${pullRunning ? ' during the pull' : ''}`);
      pushedUpTo = target;
      await tick(5);
      return { wrote };
    },
  };
  const results = await passesUntilQuiet(['pull', 'push'], passes, { maxPasses: 10, idleWaitMs: 10 });
  assert.ok(log.some((l) => l.endsWith('during the pull') && !l.startsWith('push 0->0')), `pushes overlapped the pull: ${log.join('; ')}`);
  assert.equal(pushedUpTo, 3, 'everything pulled was pushed');
  const last = (id: string) => results.filter((r) => r.bindingId === id).at(-1)!;
  assert.equal(last('pull').wrote, false);
  assert.equal(last('push').wrote, false);
});

test('a binding that writes on every pass stops after maxPasses; the others still end', async () => {
  const passes = { version: async () => 0, run: async (id: string) => ({ wrote: id === 'restless' }) };
  const results = await passesUntilQuiet(['restless', 'calm'], passes, { maxPasses: 4, idleWaitMs: 5 });
  assert.equal(results.filter((r) => r.bindingId === 'restless').length, 4);
  assert.equal(results.filter((r) => r.bindingId === 'calm').length, 1);
});

test('a pass that throws ends the whole run with its error', async () => {
  const passes = { version: async () => 0, run: async (id: string) => { if (id === 'bad') throw new Error('boom'); return { wrote: false }; } };
  await assert.rejects(passesUntilQuiet(['bad', 'good'], passes, { maxPasses: 3, idleWaitMs: 5 }), /boom/);
});
