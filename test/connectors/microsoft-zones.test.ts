import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { CUSTOM_ZONE, graphZoneFromIana, ianaFromGraphZone, isOpaqueZone } from '../../src/connectors/microsoft/zones.ts';

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

test('written names: a kept spelling while it still means the zone, else Windows when it maps back exactly, else IANA', () => {
  assert.equal(graphZoneFromIana('America/Los_Angeles'), 'Pacific Standard Time');
  assert.equal(graphZoneFromIana('Europe/Berlin'), 'W. Europe Standard Time');
  // Amsterdam shares Berlin's Windows name, which would read back as Berlin.
  assert.equal(graphZoneFromIana('Europe/Amsterdam'), 'Europe/Amsterdam');
  assert.equal(graphZoneFromIana('UTC'), 'UTC');
  assert.equal(graphZoneFromIana('America/Los_Angeles', 'America/Los_Angeles'), 'America/Los_Angeles');
  assert.equal(graphZoneFromIana('Europe/Berlin', 'Pacific Standard Time'), 'W. Europe Standard Time');
  assert.equal(graphZoneFromIana('Europe/Berlin', 'Nowhere Standard Time'), 'W. Europe Standard Time');
  assert.throws(() => graphZoneFromIana('Mars/Olympus_Mons'), (e: unknown) => e instanceof CoreError && e.code === 'UNKNOWN_TIME_ZONE');
});

test('every written zone reads back as the zone it was written for', () => {
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    let written: string;
    try {
      written = graphZoneFromIana(zone);
    } catch {
      continue;
    }
    assert.equal(ianaFromGraphZone(written), zone === 'Etc/UTC' || zone === 'Etc/GMT' ? 'UTC' : zone, `${zone} written as ${written}`);
  }
});
