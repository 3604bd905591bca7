/**
 * Two projects: the command, exporter, viewer, simulator and integration tests
 * (node, ts-jest; unit tests beside the code, root tests in test/), and the
 * Grafana plugin's unit tests (jsdom, swc; plugin/jest.config.js). The
 * packages import each other by name (@nfscope/...); here those names map to
 * their TypeScript sources, as tsconfig.json's paths do for the type checker.
 */
module.exports = {
  // Root tests share the kernel (tracepoints, bridges): run files one after another.
  maxWorkers: 1,
  testTimeout: 60000,
  projects: [
    {
      displayName: 'nfscope',
      testEnvironment: 'node',
      roots: ['<rootDir>/api/src', '<rootDir>/cli/src', '<rootDir>/exporter/src', '<rootDir>/top/src', '<rootDir>/sim/src', '<rootDir>/test'],
      moduleNameMapper: {
        '^@nfscope/cli$': '<rootDir>/cli/src/index.ts',
        '^@nfscope/cli/duration$': '<rootDir>/cli/src/duration.ts',
        '^@nfscope/exporter/command$': '<rootDir>/exporter/src/main.ts',
        '^@nfscope/exporter/raw-socket$': '<rootDir>/exporter/src/kernel/raw-socket.ts',
        '^@nfscope/top$': '<rootDir>/top/src/top.ts',
        '^@nfscope/sim$': '<rootDir>/sim/src/index.ts',
        '^@nfscope/sim/command$': '<rootDir>/sim/src/cli.ts',
      },
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
    },
    '<rootDir>/plugin',
  ],
};
