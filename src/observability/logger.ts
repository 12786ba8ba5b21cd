// pino JSON logs. Values never reach a log line: callers log keys, names and reasons only, and
// `redact` removes the usual places a payload could hide if an object were logged whole.
import pino from 'pino';

export type AppLogger = pino.Logger;

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): AppLogger {
  return pino({
    level,
    base: { app: 'secretsync' },
    redact: {
      paths: ['data', '*.data', 'stringData', '*.stringData', 'payload', '*.payload', 'value', '*.value'],
      censor: '[redacted]',
    },
  });
}
