import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs to stdout (one line per event). Secrets never reach the log: the redact list covers
 * tokens and connection URLs that may carry passwords.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    name: options.name,
    base: { pid: process.pid, ...(options.name ? { role: options.name } : {}) },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'config.API_TOKEN',
        'config.DATABASE_URL',
        'config.REDIS_URL',
        'config.REDIS_PASSWORD',
        'config.REDIS_SENTINEL_PASSWORD',
        '*.password',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
