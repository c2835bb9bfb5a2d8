import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // WebGPU on llvmpipe needs EGL_PLATFORM visible to native code: worker threads copy process.env, forks do not.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
