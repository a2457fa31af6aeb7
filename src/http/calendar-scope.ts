// The calendar a request names, within the key's tenant. `primary` names the tenant's
// first calendar, so code written for Google's `calendarId: 'primary'` works unchanged.
import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../store/db.ts';
import { getCalendar, listCalendars, type Calendar } from '../store/calendars.ts';
import { CalsyncError } from '../errors.ts';
import { tenantOf } from './auth.ts';

export async function calendarOf(db: Queryable, request: FastifyRequest, calendarId: string): Promise<Calendar> {
  const tenantId = tenantOf(request);
  if (calendarId !== 'primary') return getCalendar(db, tenantId, calendarId);
  const [first] = await listCalendars(db, tenantId);
  if (!first) throw new CalsyncError('NOT_FOUND', 'this tenant has no calendar yet, so none is primary: create one first', { calendarId });
  return first;
}
