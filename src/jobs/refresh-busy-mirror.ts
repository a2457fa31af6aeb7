// Refreshes one busy mirror rule's blocks (src/engine/busy-mirrors.ts). Queued in the
// transaction of every change of the rule's source calendar (src/store/outbox.ts,
// calendarChanged; job key `mirror:<rule>`) and when the rule is made.
import { refreshMirror } from '../engine/busy-mirrors.ts';
import { refreshBusyMirrorTask } from '../store/outbox.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

export interface RefreshBusyMirrorPayload {
  tenantId: string;
  mirrorId: string;
}

export const refreshBusyMirrorJob = defineTask<RefreshBusyMirrorPayload>({
  name: refreshBusyMirrorTask,
  parse(payload) {
    const p = payload as Partial<RefreshBusyMirrorPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.mirrorId !== 'string' || !uuid.test(p.mirrorId)) {
      throw invalidPayload(refreshBusyMirrorTask, 'needs tenantId and mirrorId (uuids)');
    }
    return { tenantId: p.tenantId, mirrorId: p.mirrorId };
  },
  async run(payload, deps) {
    const outcome = await refreshMirror({ db: deps.db, debounceMs: deps.engine.debounceMs, now: deps.engine.now }, payload.tenantId, payload.mirrorId);
    const changed = outcome !== null && outcome.written + outcome.deleted > 0;
    deps.engine.logger[changed ? 'info' : 'debug']({ ...payload, ...(outcome ?? { ruleGone: true }) }, 'busy mirror refreshed');
  },
});
