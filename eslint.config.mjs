// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.testbed/', 'coverage/', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Connections to the apiserver must be HTTP/1.1: see src/kube/kubeconfig.ts.
    ignores: ['src/kube/kubeconfig.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "NewExpression[callee.name='KubeConfig'], NewExpression[callee.property.name='KubeConfig']",
          message: 'Use newKubeConfig() from src/kube/kubeconfig.ts (HTTP/1.1 only).',
        },
      ],
    },
  },
);
