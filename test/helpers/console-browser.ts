// The operator console in Debian's Chromium (driven by playwright-core), against a
// calsync app listening on 127.0.0.1: the browser, its page, and the page's errors.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Queryable } from '../../src/store/db.ts';
import { createApiKey } from '../../src/store/tenants.ts';

const executablePath = '/usr/bin/chromium';

/** Where every run writes its screenshots. */
export const runScreenshots = path.resolve(import.meta.dirname, '../../test-output/screenshots');
/** Where the pages the README shows are written: docs/screenshots/ with CALSYNC_UPDATE_SCREENSHOTS=1. */
export const screenshots = process.env.CALSYNC_UPDATE_SCREENSHOTS === '1' ? path.resolve(import.meta.dirname, '../../docs/screenshots') : runScreenshots;

/** Not a skip: without the browser the console tests cannot say anything, so they fail and say why. */
export function requireChromium(): void {
  if (!fs.existsSync(executablePath)) {
    throw new Error(`the console tests need Chromium at ${executablePath}: install it with \`apt-get install chromium\` (.ci/run does)`);
  }
}

export interface ConsoleBrowser {
  browser: Browser;
  page: Page;
  /** The app's origin. */
  base: string;
  /** Script errors and refused loads in the page (the admin API's refusals are answers the tests ask for). */
  pageErrors: string[];
}

/** Listens on 127.0.0.1 and opens a page in headless Chromium; the caller closes `browser`. */
export async function openConsole(app: FastifyInstance): Promise<ConsoleBrowser> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return openBrowser(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
}

/** A page in headless Chromium for the console of calsync at `base` (a process of its own, say). */
export async function openBrowser(base: string): Promise<ConsoleBrowser> {
  requireChromium();
  // Root in CI containers: Chromium's sandbox needs user namespaces it does not get there.
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.location().url.includes('/admin/v1/')) pageErrors.push(`${message.text()} ${message.location().url}`);
  });
  fs.mkdirSync(screenshots, { recursive: true });
  fs.mkdirSync(runScreenshots, { recursive: true });
  return { browser, page, base, pageErrors };
}

/** Signs in at `base` with `key` as a person would, and waits for the health page it opens on. */
export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Admin API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sync health' }).waitFor();
}

/** The console of an app in Chromium, signed in with a new admin key of `tenantId`. */
export async function signedInConsole(db: Queryable, tenantId: string, app: FastifyInstance): Promise<ConsoleBrowser> {
  const { key } = await createApiKey(db, tenantId, 'console', ['admin']);
  const opened = await openConsole(app);
  await signIn(opened.page, opened.base, key);
  return opened;
}
