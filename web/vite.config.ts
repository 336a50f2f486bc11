import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The portal: a static single-page app that carina-server serves from web/dist at `/`.
// Built with `vite build web` (npm run build:web), so this folder is the root.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server's Content-Security-Policy forbids inline scripts and styles: keep everything in files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' } },
});
