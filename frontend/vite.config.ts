import { defineConfig } from 'vite';

// The Rust server serves dist/ (`--static-dir`); during `npm run dev`, the API is proxied to a
// server started separately (APO_API, default http://127.0.0.1:18300).
const api = process.env.APO_API ?? 'http://127.0.0.1:18300';

export default defineConfig({
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': { target: api, ws: true } } },
  test: { environment: 'node', include: ['test/**/*.test.ts'] },
});
