// Where Google is: the Calendar API's root and the OAuth 2.0 endpoints. Google serves
// consent on accounts.google.com and tokens on oauth2.googleapis.com; an emulator (or
// a proxy) serves all three under one root, at Google's paths.

export interface GoogleEndpoints {
  /** Root the Calendar API client builds `calendar/v3/…` on; ends with a slash. */
  apiUrl: string;
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
}

export const GOOGLE_API_URL = 'https://www.googleapis.com/';

/** calendar: read and write events and calendars, and watch them (events.watch). */
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

export function googleEndpoints(options: { apiUrl?: string | null; oauthUrl?: string | null } = {}): GoogleEndpoints {
  const apiUrl = (options.apiUrl ?? GOOGLE_API_URL).replace(/\/*$/, '/');
  if (!options.oauthUrl) {
    return {
      apiUrl,
      authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revokeUrl: 'https://oauth2.googleapis.com/revoke',
    };
  }
  const root = options.oauthUrl.replace(/\/+$/, '');
  return { apiUrl, authUrl: `${root}/o/oauth2/v2/auth`, tokenUrl: `${root}/token`, revokeUrl: `${root}/revoke` };
}
