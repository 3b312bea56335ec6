import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.docs-generated/**', 'sample-app/dist/**', 'node_modules/**', 'coverage/**', '**/*.cjs', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // consistent-type-imports stays off: a decorated constructor parameter's type must be a value
      // import, or emitDecoratorMetadata cannot emit it and Nest's DI breaks.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The benchmark may import test/fixtures/; the library, its tests and the sample never import bench/.
    files: ['src/**/*.ts', 'test/**/*.ts', 'sample-app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/bench', '**/bench/**'], message: 'Shared fixtures live in test/fixtures/.' }] },
      ],
    },
  },
);
