/** Unit tests live beside the code (exporter/src); integration tests that need root live in test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/exporter/src', '<rootDir>/sim/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // Root tests share the kernel (tracepoints, bridges): run files one after another.
  maxWorkers: 1,
  testTimeout: 60000,
};
