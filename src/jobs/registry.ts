// The task registry: every queue task has a name, a payload parser (payloads are data
// from the database, so they are checked, not trusted) and a handler. Handlers get
// their dependencies from the registry, never from globals.
import type { JobHelpers, Task, TaskList } from 'graphile-worker';
import { CalsyncError } from '../errors.ts';
import type { Db } from '../store/db.ts';

export interface TaskDeps {
  db: Db;
  /** Identifies this worker process in probes and logs. */
  workerName: string;
}

export interface TaskDefinition<P> {
  name: string;
  parse(payload: unknown): P;
  run(payload: P, deps: TaskDeps, helpers: JobHelpers): Promise<void>;
}

export function defineTask<P>(definition: TaskDefinition<P>): TaskDefinition<P> {
  return definition;
}

export function buildTaskList(tasks: Array<TaskDefinition<never>>, deps: TaskDeps, onDone?: (task: string, outcome: 'ok' | 'error') => void): TaskList {
  const list: TaskList = {};
  for (const task of tasks) {
    const run: Task = async (payload, helpers) => {
      try {
        await task.run(task.parse(payload), deps, helpers);
        onDone?.(task.name, 'ok');
      } catch (error) {
        onDone?.(task.name, 'error');
        throw error;
      }
    };
    list[task.name] = run;
  }
  return list;
}

export function invalidPayload(task: string, message: string): CalsyncError {
  return new CalsyncError('INVALID_REQUEST', `job ${task}: ${message}`);
}
