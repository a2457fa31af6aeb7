import pino, { type Logger } from 'pino';

/** Structured logs: JSON lines on stdout for servers, stderr for one-shot commands. */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: destination, sync: destination === 2 }));
}
