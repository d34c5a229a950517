import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
// The dev server proxies API calls to a running `dcs api`/`dcs start` (or web/dev-mock/server.mjs).
const apiServer = process.env.DCS_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: webRoot,
  // Relative asset URLs: the API serves the bundle at `/`, but it keeps working under a path prefix.
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: apiServer, changeOrigin: true },
      '/health': { target: apiServer, changeOrigin: true },
      '/admin': { target: apiServer, changeOrigin: true },
    },
  },
});
