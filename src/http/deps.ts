import type { ConfigStore } from '../config/index.js';
import type { Logger } from '../logging.js';
import type { ParseLimits } from '../parsing/types.js';
import type { QueueManager } from '../queue/queue-manager.js';
import type { TaskProducer } from '../queue/task-producer.js';
import type { TaskService } from '../queue/task-service.js';
import type { Database, FileStore } from '../storage/index.js';
import type { InlineWork } from './inline-work.js';
import type { Metrics } from './metrics.js';
import type { TaskWatch } from './task-watch.js';

/** What the HTTP layer is built from (given by `dcs api` or a test). */
export interface HttpDeps {
  config: ConfigStore;
  db: Database;
  fileStore: FileStore;
  /** Absent when the API runs without Redis (sync mode only). */
  queue?: QueueManager;
  producer: TaskProducer;
  metrics: Metrics;
  logger: Logger;
  version: string;
  parseLimits: () => Partial<ParseLimits>;
}

/** HttpDeps plus the services the app builds for its routes; shared by every plugin as `app.deps`. */
export interface AppServices extends HttpDeps {
  tasks: TaskService;
  watch: TaskWatch;
  inline: InlineWork;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppServices;
  }
}
