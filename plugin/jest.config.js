/** The plugin's unit tests: jsdom and @testing-library/react, compiled with swc (as create-plugin's template does). */

// Packages that ship only ES modules and so must be compiled for jest.
const ESM_PACKAGES = ['ol', 'd3', 'd3-[a-z-]+', 'internmap', 'delaunator', 'robust-predicates', 'marked', 'react-colorful', 'uuid', 'rxjs', 'monaco-promql', '@kusto/monaco-kusto', 'yaml', 'ansicolor', 'is-hotkey', 'ramda'];

module.exports = {
  displayName: 'plugin',
  rootDir: __dirname,
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2020' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleNameMapper: { '\\.(css|scss|sass)$': '<rootDir>/jest.style-stub.js' },
};
