import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Three projects: fast unit tests beside the code (pure logic, no IO), the portal's
// component tests (web/, in jsdom), and end-to-end tests under test/ that need a real
// Docker engine and run serially (they share one engine and the machine's two cores).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['web/src/test-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/support/failure-report.ts'],
        },
      },
    ],
  },
});
