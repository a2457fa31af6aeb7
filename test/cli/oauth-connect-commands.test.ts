// The command line's `connect` commands for OAuth providers are listed in the CLI so that
// it starts without loading providers: the list must be the registry's OAuth providers,
// each with its help.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oauthCommands, reconnectCommand } from '../../src/cli/connect-oauth.ts';
import { providers } from '../../src/connectors/registry.ts';
import { runCalsync } from '../helpers/cli.ts';

test('one connect command per provider that connects through OAuth, named and titled as the registry names them', async () => {
  const registered = await Promise.all(providers.names.map((name) => providers.get(name)));
  const oauth = registered.filter((p) => p.connect.kind === 'oauth');
  assert.deepEqual(oauthCommands.map((c) => [c.name, c.title]).sort(), oauth.map((p) => [p.name, p.title]).sort());
  assert.ok(oauth.some((p) => p.name === 'microsoft'));
});

test('calsync connect --help lists every provider; connect microsoft --help shows its options', async () => {
  const top = await runCalsync(['--help'], {});
  assert.match(top.stdout.replace(/\s+/g, ' '), /your users' Google, Microsoft 365 \/ Outlook\.com, CalDAV and ICS calendars/);
  const connect = await runCalsync(['connect', '--help'], {});
  assert.equal(connect.code, 0, connect.stderr);
  for (const name of ['caldav', 'google', 'microsoft', 'ics']) assert.match(connect.stdout, new RegExp(`^  ${name} \\[options\\]`, 'm'), name);
  // Commander wraps help to the terminal's width: compare the words.
  const flat = (text: string) => text.replace(/\s+/g, ' ');
  assert.match(flat(connect.stdout), /microsoft \[options\] Connect a Microsoft 365 \(work or school\) or Outlook\.com account, through Microsoft Graph/);

  const help = await runCalsync(['connect', 'microsoft', '--help'], {});
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: calsync connect microsoft \[options\]/m);
  assert.match(flat(help.stdout), /receives Microsoft's answer on a loopback port, stores the grant and lists the calendars/);
  for (const option of [/--port <port> +loopback port for Microsoft's redirect \(0: any free port\) \(default: 0\)/, /--timeout <seconds>/,
    /--login-hint <email> +the Microsoft account \(its email address\) to suggest on the sign-in page/,
    /--account <id> +reconnect this account \(after its grant was revoked or expired\): its paused bindings resume/, /--tenant <id>/, /--json/]) {
    assert.match(flat(help.stdout), option);
  }
  assert.doesNotMatch(help.stdout, /Google/, 'nothing of Google\'s in Microsoft\'s help');
  const google = await runCalsync(['connect', 'google', '--help'], {});
  assert.match(flat(google.stdout), /--login-hint <email> +the Google account to suggest on the consent screen/);
  assert.doesNotMatch(google.stdout, /Microsoft/);
});

test('the command that reconnects an account: only for providers that connect through a browser', () => {
  assert.equal(reconnectCommand('microsoft', 'a1'), 'calsync connect microsoft --account a1');
  assert.equal(reconnectCommand('google', 'a2'), 'calsync connect google --account a2');
  assert.equal(reconnectCommand('caldav', 'a3'), null);
  assert.equal(reconnectCommand('ics', 'a4'), null);
});
