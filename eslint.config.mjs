// ESLint for nfscope's TypeScript: `npm run lint` (test/lint.test.ts runs it in CI).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/build/',
      '**/coverage/',
      'bench/results/',
      // The browser-test host's per-Grafana-version package folders (their own npm installs).
      'plugin/test-host/grafana-*/',
      // Written by scripts/gen-layouts.js from the objects' BTF (`npm run gen`).
      'exporter/src/kernel/layout.gen.ts',
      // JavaScript (build configs, scripts, test tools) is outside what this config checks.
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  {
    files: [
      'api/**/*.ts',
      'exporter/src/**/*.ts',
      'sim/src/**/*.ts',
      'cli/src/**/*.ts',
      'top/src/**/*.ts',
      'plugin/src/**/*.{ts,tsx}',
      'plugin/test-host/**/*.{ts,tsx}',
      'plugin/jest.setup.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
    ],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
    },
    rules: {
      // A name starting with _ is unused on purpose: a parameter kept for its position, or a key taken out of
      // an object so that the rest (`{ seq: _q, ...summary }`) holds the others.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests and the plugin's browser-test host read JSON answers, dashboards and Grafana objects whose shape
    // the test itself asserts; `any` there stands for "what the answer holds". Code that ships has none.
    files: ['**/*.test.ts', '**/*.test.tsx', 'test/**/*.ts', 'plugin/test-host/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['plugin/src/**/*.{ts,tsx}', 'plugin/test-host/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: {
      globals: { ...globals.browser },
    },
  },
);
