// Every task calsync's workers run.
import { queueProbe } from './queue-probe.ts';
import type { TaskDefinition } from './registry.ts';
import { syncBindingJob } from './sync-binding.ts';

export const allTasks: Array<TaskDefinition<never>> = [queueProbe as TaskDefinition<never>, syncBindingJob as TaskDefinition<never>];
