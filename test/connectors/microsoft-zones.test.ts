import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { offsetSeconds } from '../../src/core/ical/zoned.ts';
import { CUSTOM_ZONE, GRAPH_IANA_ZONES, graphZoneFromIana, ianaFromGraphZone, isOpaqueZone } from '../../src/connectors/microsoft/zones.ts';

test('Windows names Graph writes read as their CLDR zone, IANA names pass through', () => {
  assert.equal(ianaFromGraphZone('Pacific Standard Time'), 'America/Los_Angeles');
  assert.equal(ianaFromGraphZone('W. Europe Standard Time'), 'Europe/Berlin');
  assert.equal(ianaFromGraphZone('Russian Standard Time'), 'Europe/Moscow');
  assert.equal(ianaFromGraphZone('India Standard Time'), 'Asia/Calcutta');
  assert.equal(ianaFromGraphZone('Europe/Amsterdam'), 'Europe/Amsterdam');
  assert.equal(ianaFromGraphZone('America/Sao_Paulo'), 'America/Sao_Paulo');
  for (const utc of ['UTC', 'Etc/GMT', 'tzone://Microsoft/Utc', 'Coordinated Universal Time']) assert.equal(ianaFromGraphZone(utc), 'UTC');
});

test('an unknown zone name is a typed UNKNOWN_TIME_ZONE error naming the member, never a crash', () => {
  for (const bad of ['Atlantis Standard Time', 'Mars/Olympus_Mons', '', '+01:00', 42, null]) {
    assert.throws(() => ianaFromGraphZone(bad, 'start.timeZone'), (e: unknown) => e instanceof CoreError && e.code === 'UNKNOWN_TIME_ZONE' && e.path === 'start.timeZone');
  }
});

test('the custom-zone marker and an absent zone say nothing about a zone', () => {
  assert.ok(isOpaqueZone(CUSTOM_ZONE));
  assert.ok(isOpaqueZone('tzone://microsoft/custom'));
  assert.ok(isOpaqueZone(undefined));
  assert.ok(!isOpaqueZone('UTC'));
});

test('written names: a kept spelling while it still means the zone, else Windows when it maps back exactly, else an IANA name Graph lists', () => {
  assert.equal(graphZoneFromIana('America/Los_Angeles'), 'Pacific Standard Time');
  assert.equal(graphZoneFromIana('Europe/Berlin'), 'W. Europe Standard Time');
  // India Standard Time reads back as Asia/Calcutta; Graph lists Asia/Kolkata.
  assert.equal(graphZoneFromIana('Asia/Kolkata'), 'Asia/Kolkata');
  // Amsterdam shares Berlin's Windows name and Graph does not list it: it comes back as Berlin.
  assert.equal(graphZoneFromIana('Europe/Amsterdam'), 'W. Europe Standard Time');
  assert.ok(GRAPH_IANA_ZONES.has('Asia/Kolkata') && !GRAPH_IANA_ZONES.has('Europe/Amsterdam'));
  assert.equal(graphZoneFromIana('UTC'), 'UTC');
  assert.equal(graphZoneFromIana('America/Los_Angeles', 'America/Los_Angeles'), 'America/Los_Angeles');
  assert.equal(graphZoneFromIana('Europe/Berlin', 'Pacific Standard Time'), 'W. Europe Standard Time');
  assert.equal(graphZoneFromIana('Europe/Berlin', 'Nowhere Standard Time'), 'W. Europe Standard Time');
  assert.throws(() => graphZoneFromIana('Mars/Olympus_Mons'), (e: unknown) => e instanceof CoreError && e.code === 'UNKNOWN_TIME_ZONE');
});

test('every written zone is one Graph takes and reads back as the zone, or one on the same clock today', () => {
  const instants = [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)];
  let exact = 0;
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    const written = graphZoneFromIana(zone);
    const back = ianaFromGraphZone(written);
    assert.ok(GRAPH_IANA_ZONES.has(written) || written === 'UTC' || !written.includes('/') || written === zone, `${zone} written as ${written}`);
    if (back === zone) exact++;
    for (const at of instants) assert.equal(offsetSeconds(at, back), offsetSeconds(at, zone), `${zone} written as ${written} reads as ${back}`);
  }
  // The main zone of every Windows name, and every zone Graph lists, come back as themselves.
  assert.ok(exact > 130, `only ${exact} zones came back as themselves`);
});
