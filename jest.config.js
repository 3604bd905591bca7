/**
 * Two projects: the exporter, simulator and integration tests (node, ts-jest;
 * unit tests beside the code, root tests in test/), and the Grafana plugin's
 * unit tests (jsdom, swc; plugin/jest.config.js).
 */
module.exports = {
  // Root tests share the kernel (tracepoints, bridges): run files one after another.
  maxWorkers: 1,
  testTimeout: 60000,
  projects: [
    {
      displayName: 'nfscope',
      testEnvironment: 'node',
      roots: ['<rootDir>/api/src', '<rootDir>/exporter/src', '<rootDir>/sim/src', '<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
    },
    '<rootDir>/plugin',
  ],
};
