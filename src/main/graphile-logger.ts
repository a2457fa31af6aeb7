// Routes graphile-worker's log calls into calsync's pino logger.
import { Logger as GraphileLogger } from 'graphile-worker';
import type { Logger } from 'pino';

export function graphileLogger(logger: Logger): GraphileLogger {
  const queueLogger = logger.child({ component: 'queue' });
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...meta };
    if (level === 'error') queueLogger.error(fields, message);
    else if (level === 'warning') queueLogger.warn(fields, message);
    else if (level === 'info') queueLogger.info(fields, message);
    else queueLogger.debug(fields, message);
  });
}
