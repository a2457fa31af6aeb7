// How commands print: aligned tables for people, --json for scripts, and one line per
// error with its fix.
import { InvalidArgumentError } from 'commander';
import { parsePolicy, type MergePolicy } from '../core/policy.ts';
import { CalsyncError, cliHintOf } from '../errors.ts';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** The one line a failed command prints: what happened, what to do, and the code. */
export function errorLine(error: unknown): string {
  if (error instanceof CalsyncError) return `calsync: ${error.message}. ${error.cliHint} [${error.code}]`;
  const message = error instanceof Error ? error.message : String(error);
  return `calsync: unexpected error: ${message}. ${cliHintOf('INTERNAL')} [INTERNAL]`;
}

/** An error no code describes, or one calsync itself calls INTERNAL: its details are worth a log line. */
export function isUnexpected(error: unknown): boolean {
  return !(error instanceof CalsyncError) || error.code === 'INTERNAL';
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A TCP port, 0 meaning "any free one". */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port from 0 to 65535');
  return n;
}

/** A --policy option: a mode name or a JSON policy, checked as the API checks it. */
export function policyOption(text: string): MergePolicy {
  try {
    return parsePolicy(text.trimStart().startsWith('{') ? JSON.parse(text) : text);
  } catch (error) {
    throw new CalsyncError('USAGE', `--policy: ${(error as Error).message}`);
  }
}
