import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// `npm run dev`: Vite with hot reload; API calls go to the Threadline server (THREADLINE_API, default :8000).
// The proxy rewrites Origin so cookie-authenticated changes pass the server's same-origin check.
const api = process.env.THREADLINE_API ?? 'http://127.0.0.1:8000';
const proxy = {
  target: api,
  changeOrigin: true,
  configure: (p: { on(event: 'proxyReq', fn: (req: { setHeader(name: string, value: string): void }) => void): void }) => {
    p.on('proxyReq', (req) => req.setHeader('origin', new URL(api).origin));
  },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline script anywhere: the server's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    // scripts/first-load.ts reads it to sum the JavaScript of the first page load.
    manifest: true,
  },
  server: { proxy: { '/api': proxy, '/oauth': proxy, '/healthz': proxy } },
});
