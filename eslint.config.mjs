import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'sample-app/dist/**', 'node_modules/**', 'coverage/**', '**/*.cjs', '**/*.mjs', '**/*.js'] },
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
);
