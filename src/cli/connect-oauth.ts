// `calsync connect <provider>` for every provider whose accounts connect through a
// browser (OAuth with PKCE): the consent URL is printed, the answer comes back to a
// loopback port, the grant is stored sealed and the account's calendars are listed; with
// --account, a revoked account is reconnected and its paused bindings resume. The list
// is kept here rather than read from the registry so that the command line starts
// without loading any provider (test/cli/oauth-connect-commands.test.ts holds it to the
// registry).
import type { Command } from 'commander';
import { CalsyncError } from '../errors.ts';
import { createAccount, getAccount, reactivateAccount } from '../store/accounts.ts';
import { queuePass } from '../store/outbox.ts';
import { runtimeRunner, type CliDeps } from './deps.ts';
import { json, portNumber, positiveInteger, table, type Output } from './output.ts';
import { tenantOf, type TenantOption } from './sync-commands.ts';

export interface OAuthCommand {
  /** The provider's name in the registry and the command's. */
  name: string;
  /** How people name it. */
  title: string;
  /** What an account of it is, for the description. */
  accounts: string;
  /** What --login-hint suggests. */
  loginHint: string;
  /** The columns of the calendars listed. */
  columns: string[];
}

export const oauthCommands: readonly OAuthCommand[] = [
  { name: 'google', title: 'Google', accounts: 'a Google account', loginHint: 'the Google account to suggest on the consent screen', columns: ['remoteCalendarId', 'displayName', 'timeZone', 'writable'] },
  {
    name: 'microsoft', title: 'Microsoft', accounts: 'a Microsoft 365 (work or school) or Outlook.com account, through Microsoft Graph',
    loginHint: 'the Microsoft account (its email address) to suggest on the sign-in page', columns: ['remoteCalendarId', 'displayName', 'primary', 'writable'],
  },
];

/** The command that reconnects an account of `provider`, or null when its accounts do not connect through a browser. */
export function reconnectCommand(provider: string, accountId: string): string | null {
  return oauthCommands.some((c) => c.name === provider) ? `calsync connect ${provider} --account ${accountId}` : null;
}

type ConnectOptions = TenantOption & { port: number; timeout: number; loginHint?: string; account?: string };

export function registerOAuthConnectCommands(connect: Command, deps: CliDeps, output: Output): void {
  const withRuntime = runtimeRunner(deps);
  for (const provider of oauthCommands) {
    const { name, title } = provider;
    connect.command(name)
      .description(`Connect ${provider.accounts}: prints a consent URL to open in a browser, receives ${title}'s answer on a loopback port, stores the grant and lists the calendars.`)
      .option('--port <port>', `loopback port for ${title}'s redirect (0: any free port)`, portNumber, 0)
      .option('--timeout <seconds>', 'how long to wait for the consent', positiveInteger, 300)
      .option('--login-hint <email>', provider.loginHint)
      .option('--account <id>', 'reconnect this account (after its grant was revoked or expired): its paused bindings resume')
      .option('--tenant <id>', 'tenant id (default: the only tenant)').option('--json', 'print as JSON')
      .action((options: ConnectOptions) => withRuntime(async (runtime) => {
        const config = deps.loadConfig();
        const tenantId = await tenantOf(runtime, options.tenant);
        const existing = options.account ? await getAccount(runtime.db, tenantId, options.account) : null;
        if (existing && existing.provider !== name) {
          const other = reconnectCommand(existing.provider, existing.id);
          throw new CalsyncError('USAGE', `account ${existing.id} is a ${existing.provider} account, not a ${title} one${other ? `: reconnect it with \`${other}\`` : ''}`);
        }
        const loginHint = options.loginHint ?? (existing?.login || undefined);
        const connection = await deps.authorizeOnLoopback(config, name, {
          port: options.port, timeoutSeconds: options.timeout, ...(loginHint ? { loginHint } : {}),
          onUrl: (url) => output.err(`Open this URL in a browser and allow calsync to manage your ${title} calendars (waiting ${options.timeout} s):\n\n  ${url}\n`),
        });
        const secrets = await deps.loadSecrets(runtime, config);
        if (existing) {
          if (existing.login !== '' && existing.login !== connection.login) {
            throw new CalsyncError('USAGE', `account ${existing.id} is ${existing.login}, but ${title} granted access for ${connection.login}: sign in as ${existing.login}`);
          }
          const resumed = await reactivateAccount(runtime.db, secrets, tenantId, existing.id, connection.credentials);
          for (const bindingId of resumed) await queuePass(runtime.db, tenantId, bindingId, 'manual');
          const account = await getAccount(runtime.db, tenantId, existing.id);
          return output.out(options.json ? json({ account, resumedBindings: resumed }) : `reconnected ${title} account ${connection.login} (${account.id}); ${resumed.length} paused binding(s) resumed and queued`);
        }
        const account = await createAccount(runtime.db, secrets, tenantId, {
          provider: name, login: connection.login, displayName: connection.displayName, serverUrl: connection.serverUrl, credentials: connection.credentials,
        });
        if (options.json) return output.out(json({ account, calendars: connection.calendars }));
        output.out(`connected ${title} account ${connection.login} as ${account.id}; its calendars (bind one with: calsync bind --account ${account.id} --remote ID --new-calendar NAME):`);
        output.out(table(connection.calendars.map((c) => ({ ...c } as Record<string, unknown>)), provider.columns));
      }));
  }
}
