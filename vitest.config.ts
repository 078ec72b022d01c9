import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// Two projects: everything that runs in Node, and the UI's components in jsdom.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        test: {
          name: 'node',
          // Rune modules (*.svelte.ts) need the Svelte compiler: they run in the ui project.
          exclude: ['**/node_modules/**', 'frontend/src/**/*.svelte.test.ts'],
          include: [
            'backend/src/**/*.test.ts',
            'frontend/src/lib/**/*.test.ts',
            'tests/**/*.test.ts',
          ],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        plugins: [svelte(), svelteTesting()],
        test: {
          name: 'ui',
          environment: 'jsdom',
          include: ['frontend/src/components/**/*.test.ts', 'frontend/src/**/*.svelte.test.ts'],
        },
      },
    ],
  },
});
