/**
 * Import rules checked by `npm run lint` (dependency-cruiser). Type-only imports count: a cycle
 * or a layer breach through `import type` still couples the modules.
 * - no cycles anywhere (src, web, test, bench, scripts);
 * - src/domain is a leaf; src/cleaning depends on src/domain only (pure functions, no I/O layers);
 * - only src/storage talks SQL (kysely and the drivers); only src/queue talks BullMQ.
 * The web bundle's boundary (web/src reaches src/domain only) is web/src/architecture.test.ts.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other (directly or through others) cannot be understood or changed one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-a-leaf',
      severity: 'error',
      comment: 'src/domain holds the types and constant lists several layers share; it imports nothing else from src.',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'cleaning-imports-only-domain',
      severity: 'error',
      comment: 'src/cleaning is pure: it may use src/domain, nothing else from src.',
      from: { path: '^src/cleaning/' },
      to: { path: '^src/', pathNot: '^src/(cleaning|domain)/' },
    },
    {
      name: 'sql-only-in-storage',
      severity: 'error',
      comment: 'Only src/storage talks SQL.',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: { path: '^node_modules/(kysely|pg|pg-copy-streams|mysql2|better-sqlite3)/' },
    },
    {
      name: 'bullmq-only-in-queue',
      severity: 'error',
      comment: 'Only src/queue talks BullMQ.',
      from: { path: '^src/', pathNot: '^src/queue/' },
      to: { path: '^node_modules/bullmq/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|web/dist|coverage|data|test-artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
