// Every provider calsync knows, by the name accounts store. A provider is its folder and
// one line here; each module is loaded when first asked for, so a process only loads the
// providers its bindings and accounts use (Google's client libraries take about 40 ms to
// load, a seventh of a quiet CalDAV `calsync sync`).
import { CalsyncError } from '../errors.ts';
import type { Provider, Providers } from './provider.ts';

export type ProviderLoader = () => Promise<Provider>;

export const providerModules: Readonly<Record<string, ProviderLoader>> = {
  google: async () => (await import('./google/provider.ts')).googleProvider,
  caldav: async () => (await import('./caldav/provider.ts')).caldavProvider,
  ics: async () => (await import('./ics/provider.ts')).icsProvider,
  microsoft: async () => (await import('./microsoft/provider.ts')).microsoftProvider,
};

/** The registered providers; `replace` swaps some for others (tests' fakes). */
export function providerRegistry(replace: Readonly<Record<string, ProviderLoader>> = {}): Providers {
  const modules = { ...providerModules, ...replace };
  const loaded = new Map<string, Promise<Provider>>();
  return {
    names: Object.keys(modules),
    get(name) {
      const load = Object.hasOwn(modules, name) ? modules[name] : undefined;
      if (load === undefined) return Promise.reject(new CalsyncError('NOT_FOUND', `calsync has no provider ${JSON.stringify(name)} (it knows ${Object.keys(modules).join(', ')})`));
      let provider = loaded.get(name);
      if (provider === undefined) {
        provider = load();
        loaded.set(name, provider);
        provider.catch(() => loaded.delete(name));
      }
      return provider;
    },
  };
}

/** The registered providers, one set per process. */
export const providers: Providers = providerRegistry();
