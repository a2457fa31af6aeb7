// The corpus of real clients' exports (test/fixtures/clients/): its files, the manifest
// of instants each producer meant (expected.json), and the expansion tests compare with it.
import fs from 'node:fs';
import path from 'node:path';
import { expandSeries } from '../../src/core/ical/index.ts';
import type { EventSeries } from '../../src/core/model.ts';

export const corpusDir = path.join(import.meta.dirname, '../fixtures/clients');

export interface ExpectedInstances {
  producer: string;
  /** The zone floating times and all-day dates are shown in. */
  defaultZone: string;
  window: { from: string; to: string };
  /** [start, end] UTC instants, in order. */
  instances: [string, string][];
}

export interface CorpusManifest {
  /** Fixtures nothing can read, with the error code calsync refuses them with. */
  refused: Record<string, string>;
  fixtures: Record<string, ExpectedInstances>;
}

export const corpusManifest: CorpusManifest = JSON.parse(fs.readFileSync(path.join(corpusDir, 'expected.json'), 'utf8'));

export function corpusFile(name: string): string {
  return fs.readFileSync(path.join(corpusDir, name), 'utf8');
}

/** Every instance of the series in the fixture's window, as [start, end] UTC instants; null when expansion stopped early. */
export function instantsIn(series: EventSeries, expected: ExpectedInstances): [string, string][] | null {
  const { instances, truncated } = expandSeries(series, { ...expected.window, defaultZone: expected.defaultZone });
  return truncated ? null : instances.map((i) => [i.start, i.end]);
}
